"""The classroom labs: scripts/lab-check runs every lab of docs/labs/ and
checks its answer key against the run, so a lab cannot drift from the code."""
import os
import re
import shutil

from support import ROOT, run

LAB_CHECK = os.path.join(ROOT, "scripts", "lab-check")


def test_every_lab_answers_its_key(build):
    r = run([LAB_CHECK, "--build", build.dir], timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]
    labs, checks = int(last.split()[0]), int(last.split()[2])
    assert last.endswith("0 failed") and labs >= 10 and checks >= 10 * labs, last


def lab_copy(tmp_path, name):
    labs = tmp_path / "labs"
    (labs / "answers").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "docs", "labs", name), labs / name)
    shutil.copy(os.path.join(ROOT, "docs", "labs", "answers", name), labs / "answers" / name)
    return labs


def test_a_key_that_drifts_from_the_run_fails(build, tmp_path):
    name = "01-one-channel-cannot-carry-it.md"
    labs = lab_copy(tmp_path, name)
    key = labs / "answers" / name
    key.write_text(key.read_text().replace('["outcome"] == "failed"', '["outcome"] == "settled"'))
    r = run([LAB_CHECK, "--build", build.dir, "--labs", str(labs)])
    assert r.returncode == 1, r.stdout
    assert "FAIL" in r.stdout and "question 1" in r.stdout and '== "settled"' in r.stdout, r.stdout


def test_a_question_without_a_check_fails(build, tmp_path):
    name = "05-order-invariance.md"
    labs = lab_copy(tmp_path, name)
    lab = labs / name
    lab.write_text(lab.read_text().replace("The answers are in",
                                           "6. A question the key does not answer?\n\nThe answers are in"))
    r = run([LAB_CHECK, "--build", build.dir, "--labs", str(labs)])
    assert r.returncode == 1 and "question 6 has no check in the key" in r.stdout, r.stdout


def test_lab_check_says_its_version_and_refuses_a_missing_build(tmp_path):
    r = run([LAB_CHECK, "--version"])
    assert r.returncode == 0 and "lab-check" in r.stdout
    r = run([LAB_CHECK, "--build", str(tmp_path)])
    assert r.returncode == 2 and "no built ampsim" in r.stderr, r.stderr


def test_lab_check_passes_in_process_on_what_the_world_plays(build):
    # --in-process goes to every `ampsim run` of a lab: the same answers
    # hold, the crash lab's too (the world crashes and restarts a node)
    check = os.path.join(ROOT, "scripts", "lab-check")
    for lab, name in (("03-amp", "03-amp"), ("07-crash", "07-crash-and-recovery")):
        r = run([check, "--build", build.dir, "--lab", lab, "--in-process"], timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert re.search(r"^ok +%s\.md +\d+ checks" % name, r.stdout, re.M), r.stdout
        assert "not played in-process" not in r.stdout, r.stdout
