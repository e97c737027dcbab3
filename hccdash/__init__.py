"""hccdash: radiomics nomograms for HCC recurrence (core library, no Streamlit)."""

__version__ = "0.1.0"
