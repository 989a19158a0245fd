"""Tables, plots and reports built from run summaries."""
