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


SUBCOMMANDS = ("run", "amp", "bench", "pay", "invoice", "channels", "payments", "fault", "call",
               "chain", "check")
SCRIPTS = ("demo", "test", "chaos", "sweep", "install-deps")


def test_every_subcommand_and_script_answers_version(build):
    import os
    from support import ROOT
    ampsim = build.exe("ampsim")
    for sub in SUBCOMMANDS:
        r = run([ampsim, sub, "--version"])
        assert r.returncode == 0 and r.stdout.startswith("ampsim "), (sub, r.stdout, r.stderr)
    # a subcommand's other arguments do not matter: --version wins
    r = run([ampsim, "run", "no-such-file.ini", "--version"])
    assert r.returncode == 0 and r.stdout.startswith("ampsim ")
    for s in SCRIPTS:
        r = run([os.path.join(ROOT, "scripts", s), "--version"])
        assert r.returncode == 0 and "(ampsim)" in r.stdout, (s, r.stdout, r.stderr)


def test_run_outputs_in_a_missing_folder_are_refused_before_the_run(build, tmp_path):
    import os
    from support import ROOT
    scenario = os.path.join(ROOT, "scenarios", "01-single-invoice-fails.ini")
    for opt in ("--events", "--timeline"):
        r = run([build.exe("ampsim"), "run", scenario, opt, str(tmp_path / "missing" / "out")])
        assert r.returncode == 2, (opt, r.returncode, r.stderr)
        assert opt in r.stderr and "does not exist" in r.stderr, r.stderr
        # refused before the run: nothing was played, no summary printed
        assert r.stdout == "", r.stdout
    r = run([build.exe("ampsim"), "run", scenario, "--events", str(tmp_path)])
    assert r.returncode == 2 and "is a folder" in r.stderr, r.stderr
