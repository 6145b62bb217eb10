"""Write the sample logs README's examples read: `python samples/make_samples.py [FOLDER]`.

They are generated, not real: no real Intune connector log is public (the evtx
writer and its record shapes are tests/support/, checked against real exports).
- connector.evtx: a legacy PFX/PKCS connector on NDES01.contoso.com through a CA
  outage (0x00000400, CA unavailable) and its recovery, 117 records;
- export.csv: Event Viewer's "Save All Events As… CSV" of legacy connector events,
  which names no computer (tests/data/exports/eventviewer_en.csv, hand-made).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.support.connector_logs import legacy_pkcs_ca_outage  # noqa: E402


def main(out: Path = HERE) -> None:
    legacy_pkcs_ca_outage(out / "connector.evtx")
    shutil.copyfile(HERE.parent / "tests" / "data" / "exports" / "eventviewer_en.csv",
                    out / "export.csv")  # fmt: skip
    print(f"wrote {out / 'connector.evtx'} and {out / 'export.csv'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
