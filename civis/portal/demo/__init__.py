"""Demo data of the project's own making: the demo documents and the generator of real PDF,
ODT and CSV files (also used by tests and the benchmark)."""
