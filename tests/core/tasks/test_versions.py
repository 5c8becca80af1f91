"""docs/protocol.md states each task's version: it must be the code's (the two once disagreed on dr)."""

import re
from pathlib import Path

from cem_bench.core.tasks import TASKS

PROTOCOL_DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def test_the_protocol_document_states_each_tasks_code_version():
    # task table rows start like "| `dr` (v3) |" or "| `sr` ×2/×3/×4 (v1) |"
    stated = dict(re.findall(r"^\| `(\w+)`[^|(]*\(v(\d+)\) \|", PROTOCOL_DOC.read_text(), flags=re.MULTILINE))
    assert {name: int(version) for name, version in stated.items()} == {
        name: TASKS.get(name).VERSION for name in TASKS}
