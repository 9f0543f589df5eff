"""Who calls the pipeline when: a single pass (`once`), the embedded scheduler (`run`), later workers."""
