"""The plan/apply engine: desired resources, live state, the pure planner and the executor."""
