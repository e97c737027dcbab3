"""The public API index of hccdash.stats resolves every name to what it documents."""

import importlib

import pytest

import hccdash.stats as stats


@pytest.mark.parametrize("name", stats.__all__)
def test_every_public_name_resolves_to_its_module_object(name):
    importlib.import_module(f"hccdash.stats.{stats._EXPORTS[name]}")  # import order must not matter
    value = getattr(stats, name)
    assert callable(value), f"hccdash.stats.{name} is {value!r}"
    assert value is getattr(importlib.import_module(f"hccdash.stats.{stats._EXPORTS[name]}"), name)
