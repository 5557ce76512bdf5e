"""An engine behind an HTTP bridge: the wire models, the client (the transport) and `RemoteEngine` over it.

The LiteLLM provider's HTTP fallback and the bridge server share the wire
models here; the server (`scillm.bridges`) imports them, never the other way.
"""
