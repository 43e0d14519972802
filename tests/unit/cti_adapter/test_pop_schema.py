"""The screen pop's documented JSON schema is the one the code produces."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cti_adapter.pop import ScreenPop

README = Path(__file__).parents[3] / "cti_adapter" / "README.md"


def test_given_the_readme_when_its_schema_is_read_then_it_equals_the_screen_pop_model_schema() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- screen-pop-schema:start -->\n```json\n(.*?)\n```", text, re.S)

    assert block is not None, "README lost its screen-pop schema block"
    assert json.loads(block.group(1)) == ScreenPop.model_json_schema()
