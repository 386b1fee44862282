"""The operator's view: what the platform's GPUs cost against what it takes in."""
