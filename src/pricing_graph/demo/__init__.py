"""The demo price book (`catalog`) and the loader that sends it through the API (`seed`)."""
