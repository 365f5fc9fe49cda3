"""The research agent's adapters: the LangGraph engine, the OpenAI and offline models,
and the checkpointers."""
