"""pytest hooks for the nbval run of the notebooks (`make test`)."""

# After a cell's execute reply, nbval waits a hard-coded 5 s for each output message (IPyNbCell.output_timeout in
# nbval/plugin.py; not an option: computationalmodelling/nbval#136 and #231). On a loaded 2-core machine a kernel
# that has just finished a training cell can take longer to publish its outputs, and nbval then fails a cell that
# ran. The cell's own time limit stays nbval's --nbval-cell-timeout.
OUTPUT_TIMEOUT_S = 60


def pytest_collection_modifyitems(items):
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = OUTPUT_TIMEOUT_S
