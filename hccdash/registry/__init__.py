"""Model registry and patient calculator: saved models, pickle-free JSON model files,
one patient's prediction, the printable report and the CLI commands over them.

- :mod:`~hccdash.registry.registry`: save / list / compare / rename / delete / load (SHA-256 checked);
- :mod:`~hccdash.registry.spec`, :mod:`~hccdash.registry.model_file`: the JSON model file, its schema and limits;
- :mod:`~hccdash.registry.json_model`: predictions from the model file alone;
- :mod:`~hccdash.registry.calculator`, :mod:`~hccdash.registry.report`: one patient.
"""
