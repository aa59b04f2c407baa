"""``qualityflow --lang``: refusals and reports in the user's language, ids unchanged."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qualityflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('lang') / 'plant.db'}"
    assert run("--db", url, "demo").returncode == 0
    return url


def test_lang_zh_cn_gives_chinese_refusals_and_reports(plant: str) -> None:
    refused = run(
        "--lang", "zh_CN", "--db", plant, "incidents", "fire", "INC-5", "close", "--actor", "QA"
    )
    assert refused.returncode == 1
    assert "质量事故处于 'closed' 状态时不能执行 'close'" in refused.stderr
    report = run("--lang", "zh-CN", "--db", plant, "report", "8d", "INC-5")
    assert report.returncode == 0, report.stderr
    assert "8D 报告：INC-5" in report.stdout and "D4" in report.stdout


def test_lang_comes_from_the_environment_and_defaults_to_english(plant: str) -> None:
    import os

    env = {**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    assert "8D 报告" in run("--db", plant, "report", "8d", "INC-5", env=env).stdout
    env["LANG"] = "C"
    assert "8D report" in run("--db", plant, "report", "8d", "INC-5", env=env).stdout


def test_a_bad_lang_is_bad_input_without_a_traceback(plant: str) -> None:
    bad = run("--lang", "xx!!", "--db", plant, "trace", "FLOUR-0412")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "'xx!!' is not a locale" in bad.stderr and "--lang en" in bad.stderr


def test_an_unknown_but_well_formed_locale_falls_back_to_english(plant: str) -> None:
    out = run("--lang", "de_DE", "--db", plant, "report", "8d", "INC-5")
    assert out.returncode == 0 and "8D report" in out.stdout
