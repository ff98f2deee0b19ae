"""``data check --arg KEY=VALUE`` gets the checks a config's ``dataset_args`` get: a misspelt
key gets "did you mean", a value of the wrong type names the key, a Python tag is refused
cleanly (issue 22 item 12, issue 18 item 6: each printed a traceback before)."""

from pathlib import Path

import pytest

from hsiadapt.cli import main

ROOT = Path(__file__).resolve().parent / "data" / "hsi_folder" / "root"

#: (--arg value, part of the message); make_bad_inputs_doc.py prints these in docs/bad_inputs.md
BAD_ARGS = [
    ("backround_codes=[0]", "--arg: HSIFolder has no dataset argument 'backround_codes'; did you "
                            "mean 'background_codes'?"),
    ("!!python/object/apply:os.system ['echo hi']=1",
     "--arg: HSIFolder has no dataset argument \"!!python/object/apply:os.system ['echo hi']\" "
     "Valid: wavelengths, "),
    ("class_names=!!python/object/apply:os.system ['echo pwned']",
     "--arg class_names=!!python/object/apply:os.system ['echo pwned']: the value is not a "
     "plain YAML value (could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'); give a number, a string, true/false "
     "or a [list]"),
    ("unknown_labels=ignor", "--arg.unknown_labels: expected one of 'error', 'ignore', "
                             "'background', got the string 'ignor'; did you mean 'ignore'?"),
    ("class_codes=[0, 1, 1, 2, 5]", "--arg class_codes: 1 listed more than once in "
                                    "[0, 1, 1, 2, 5]"),
]


def data_check_arg_message(arg: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``data check`` prints for ``--arg arg`` on the tiny folder (exit 2, no traceback)."""
    assert main(["data", "check", str(ROOT), "--dataset", "hsi_folder", "--arg", arg]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err and out.out == ""
    return out.err


@pytest.mark.parametrize(("arg", "msg"), BAD_ARGS)
def test_bad_data_check_args_get_a_clean_error(arg, msg, capsys):
    err = data_check_arg_message(arg, capsys)
    assert err.startswith("hsiadapt: error: ") and msg in err, err


def test_good_data_check_args_still_work(capsys):
    code = main(["data", "check", str(ROOT), "--dataset", "hsi_folder", "--arg",
                 "background_codes=[0]", "--arg", "unknown_labels=error", "--json"])
    assert code in (0, 1)
    assert '"dataset": "hsi_folder"' in capsys.readouterr().out
