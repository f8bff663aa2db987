"""etl_events: tests/etl-check.py as a module, `etl`, for the checkers
that read raw events as it does (rfm-check.py, report-check.py): its
file's name has a hyphen, which an import statement cannot name."""
import importlib.util
import os


def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("etl_check", os.path.join(here, "etl-check.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


etl = _load()
