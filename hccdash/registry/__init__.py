"""Model registry: saved models, pickle-free JSON model files and the CLI commands over them.

- :mod:`~hccdash.registry.registry`: save / list / compare / rename / delete / load (SHA-256 checked);
- :mod:`~hccdash.registry.spec`, :mod:`~hccdash.registry.model_file`: the JSON model file, its schema and limits;
- :mod:`~hccdash.registry.json_model`: predictions from the model file alone;
- :mod:`~hccdash.registry.details`: a model in words (summary, formula, term table).

One patient's prediction from a registered model is :mod:`hccdash.calculator`.
"""
