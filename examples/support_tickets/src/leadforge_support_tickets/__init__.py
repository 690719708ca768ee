"""leadforge-support-tickets: an example scheme written on the public API of leadforge-core."""
