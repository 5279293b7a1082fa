"""Every command's --help, --version and usage errors."""
from support import run


def test_every_command_has_help_and_version(build):
    ampsim, alice, bob = build.exe("ampsim"), build.exe("alice"), build.exe("bob")
    for args in ([ampsim, "--help"], [ampsim, "--version"], [alice, "--help"],
                 [alice, "--version"], [bob, "--help"], [bob, "--version"],
                 [ampsim, "run", "--help"], [ampsim, "amp", "--help"],
                 [ampsim, "bench", "--help"], [ampsim, "pay", "--help"]):
        r = run(args)
        assert r.returncode == 0 and r.stdout.strip(), args
    for args in ([ampsim, "nope"], [alice, "--bogus"], [bob],
                 [alice, "--connect", "127.0.0.1:1", "--channel", "capacity=1btc,drop=2"],
                 [bob, "--listen", "nowhere"]):
        r = run(args)
        assert r.returncode == 2 and r.stderr.strip(), (args, r.returncode, r.stderr)
