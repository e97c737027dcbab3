"""Model building: endpoints, clinical / combined / fusion models, the pipeline, presets, cache."""
