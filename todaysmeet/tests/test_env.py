from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from todaysmeet.env import env_bool, env_int, env_list, env_str


class TestEnvBool:
    @pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on", " On "])
    def test_true_spellings(self, monkeypatch, raw):
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", default=False) is True

    @pytest.mark.parametrize("raw", ["0", "false", "no", "off", ""])
    def test_false_spellings(self, monkeypatch, raw):
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", default=True) is False

    def test_unset_is_the_default(self, monkeypatch):
        monkeypatch.delenv("FLAG", raising=False)
        assert env_bool("FLAG", default=True) is True

    @pytest.mark.parametrize("raw", ["maybe", "2", "y", "enabled"])
    def test_anything_else_is_refused_with_the_name_and_value(self, monkeypatch, raw):
        monkeypatch.setenv("FLAG", raw)
        with pytest.raises(ImproperlyConfigured, match=rf"FLAG.*{raw}"):
            env_bool("FLAG", default=True)


class TestEnvInt:
    def test_a_number_is_read(self, monkeypatch):
        monkeypatch.setenv("COUNT", " 42 ")
        assert env_int("COUNT", 1) == 42

    def test_unset_or_blank_is_the_default(self, monkeypatch):
        monkeypatch.delenv("COUNT", raising=False)
        assert env_int("COUNT", 7) == 7
        monkeypatch.setenv("COUNT", "")
        assert env_int("COUNT", 7) == 7

    @pytest.mark.parametrize("raw", ["many", "1.5", "1e3"])
    def test_a_non_integer_is_refused(self, monkeypatch, raw):
        monkeypatch.setenv("COUNT", raw)
        with pytest.raises(ImproperlyConfigured, match="COUNT must be an integer"):
            env_int("COUNT", 1)

    def test_a_value_below_the_minimum_is_refused(self, monkeypatch):
        monkeypatch.setenv("COUNT", "0")
        with pytest.raises(ImproperlyConfigured, match="COUNT must be at least 1"):
            env_int("COUNT", 5, minimum=1)


class TestEnvList:
    def test_items_are_split_on_commas_and_trimmed(self, monkeypatch):
        monkeypatch.setenv("HOSTS", "example.org, www.example.org")
        assert env_list("HOSTS", []) == ["example.org", "www.example.org"]

    def test_unset_is_a_copy_of_the_default(self, monkeypatch):
        monkeypatch.delenv("HOSTS", raising=False)
        default = ["localhost"]
        value = env_list("HOSTS", default)
        assert value == default
        assert value is not default

    @pytest.mark.parametrize("raw", ["", "a,,b", "a,", " , "])
    def test_empty_items_are_refused(self, monkeypatch, raw):
        monkeypatch.setenv("HOSTS", raw)
        with pytest.raises(ImproperlyConfigured, match="HOSTS"):
            env_list("HOSTS", [])


def test_env_str_trims_and_defaults(monkeypatch):
    monkeypatch.setenv("NAME", "  value ")
    assert env_str("NAME") == "value"
    monkeypatch.delenv("NAME")
    assert env_str("NAME", "fallback") == "fallback"
