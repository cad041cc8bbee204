"""A research chatbot whose answers cite the exact passages they rest on.

The public entry points, in the order data flows:

- `rag.config.Settings`: every knob, from RAG_* variables and .env;
- `rag.index.Index`: open the index, `ingest` files, `remove` sources;
- `rag.retrieval.search`: hybrid dense + BM25 passages for a query;
- `rag.answering.ask` / `ask_stream`: a cited, verified Answer;
- `rag.evaluation.run_eval`: quality against a question set.

The CLI (`rag.cli`) and the Streamlit app (`app.py`) are thin shells over these.
"""

__version__ = "0.1.0"
