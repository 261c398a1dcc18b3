"""Wire protocol shared by rustragd and rustrag-client: framing, messages, errors, paths.

Message shapes (TypedDicts) live in :mod:`rustrag_protocol.schema`.

Imports only the standard library and msgpack, so the client stays light. The
names below are loaded on first use: ``rustrag-client status --brief`` runs in
every shell prompt and needs only :mod:`rustrag_protocol.paths`, not msgpack
or :mod:`socket`.
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
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
    from rustrag_protocol.paths import (
        default_config_path,
        default_socket_path,
        default_state_dir,
    )

#: The module each exported name lives in.
_HOMES = {
    "ErrorCode": "errors",
    "ProtocolError": "errors",
    "DEFAULT_MAX_FRAME": "framing",
    "HEADER": "framing",
    "FrameTooLarge": "framing",
    "decode_body": "framing",
    "encode_frame": "framing",
    "recv_frame": "framing",
    "CAPABILITIES": "messages",
    "PROTOCOL_VERSION": "messages",
    "error_response": "messages",
    "make_request": "messages",
    "ok_response": "messages",
    "default_config_path": "paths",
    "default_socket_path": "paths",
    "default_state_dir": "paths",
}

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


def __getattr__(name: str) -> object:
    """Import an exported name's module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(__import__(f"{__name__}.{home}", fromlist=[name]), name)
    globals()[name] = value
    return value
