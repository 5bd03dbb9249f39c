"""The shipped address data, loaded once for every test module that needs it."""

from __future__ import annotations

import functools

from bot.config import PROJECT_ROOT
from bot.core.address import AddressFinder
from bot.core.address_book import AddressBook

ADDRESS_FILE = PROJECT_ROOT / "knowledge" / "addresses" / "units.json.gz"


@functools.cache
def shipped_book() -> AddressBook:
    return AddressBook.load(ADDRESS_FILE)


@functools.cache
def shipped_finder() -> AddressFinder:
    return AddressFinder(shipped_book())
