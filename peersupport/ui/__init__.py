"""Everything that imports Qt lives here: windows, dialogs, workers, the app object."""
