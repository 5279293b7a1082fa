/* alice's control socket: its JSON-RPC methods. */
#ifndef AMPSIM_ALICE_RPC_H
#define AMPSIM_ALICE_RPC_H

#include "rpc.h"

extern const struct rpc_method alice_methods[];

#endif
