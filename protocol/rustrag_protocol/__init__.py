"""Wire protocol shared by rustragd and rustrag-client: framing, messages, errors, paths.

Message shapes (TypedDicts) live in :mod:`rustrag_protocol.schema`.

Imports only the standard library and msgpack, so the client stays light.
"""

from rustrag_protocol.errors import ErrorCode, ProtocolError
from rustrag_protocol.framing import (
    DEFAULT_MAX_FRAME,
    HEADER,
    FrameTooLarge,
    decode_body,
    encode_frame,
    recv_frame,
)
from rustrag_protocol.messages import (
    CAPABILITIES,
    PROTOCOL_VERSION,
    error_response,
    make_request,
    ok_response,
)
from rustrag_protocol.paths import default_config_path, default_socket_path, default_state_dir

__all__ = [
    "CAPABILITIES",
    "DEFAULT_MAX_FRAME",
    "HEADER",
    "PROTOCOL_VERSION",
    "ErrorCode",
    "FrameTooLarge",
    "ProtocolError",
    "decode_body",
    "default_config_path",
    "default_socket_path",
    "default_state_dir",
    "encode_frame",
    "error_response",
    "make_request",
    "ok_response",
    "recv_frame",
]
