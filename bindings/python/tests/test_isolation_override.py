"""The plugin's per-test databases follow an overridden ``cryptoerd_template``: here a
template with a base fixture file and a seeded scenario, as the plugin's docstring
says."""
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from cryptoerd.testing import Template, default_dsn


@pytest.fixture(scope="module")
def cryptoerd_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    base = tmp_path_factory.mktemp("base") / "base.json"
    base.write_text(json.dumps({"users": [{"email": "carol@example.com"}]}))
    with Template(default_dsn(), fixtures=base, seed={"preset": "demo", "seed": 1}) as tpl:
        yield tpl


def test_each_clone_starts_from_the_overridden_template(cryptoerd_db: Any) -> None:
    assert cryptoerd_db.users.get_by_email("carol@example.com").email == "carol@example.com"
    assert cryptoerd_db.assets.count() == 10
    cryptoerd_db.users.delete_pk(cryptoerd_db.users.get_by_email("carol@example.com").id,
                                 hard=True)


def test_and_is_not_changed_by_the_test_before(cryptoerd_db: Any,
                                               cryptoerd_template: Template) -> None:
    assert cryptoerd_db.users.get_by_email("carol@example.com").email == "carol@example.com"
    name = cryptoerd_db.query("SELECT current_database() AS d")[0]["d"]
    assert name.startswith(cryptoerd_template.name + "_")
