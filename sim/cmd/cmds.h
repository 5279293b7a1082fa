/* The subcommands of the ampsim program. Each takes argc/argv starting at
 * its own name and returns the process exit code (0 ok, 1 outcome or
 * expectation failed, 2 bad usage or input). */
#ifndef AMPSIM_CMDS_H
#define AMPSIM_CMDS_H

int cmd_run(int argc, char **argv);
int cmd_amp(int argc, char **argv);
int cmd_rpc(int argc, char **argv);     /* pay, invoice, channels, fault, payments, call */
int cmd_bench(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_chain(int argc, char **argv);   /* serve the simulated chain over TCP */
int cmd_swarm(int argc, char **argv);
int cmd_check(int argc, char **argv);   /* every execution of a scenario, explored */   /* random scenarios in-process, checked */

#endif
