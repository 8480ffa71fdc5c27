"""The dashboard's kernel websocket: the current message protocol only.

A Voila page talks to its kernel over a websocket. jupyter_server speaks two protocols on
it: ``v1.kernel.websocket.jupyter.org`` (binary frames with offsets, which Voila's own page
asks for) and, for a client that asks for none, the older JSON one. One widget-state
request over the older protocol froze the server at full CPU with its memory growing
until it was killed (issue 29). The older protocol is not needed by any page salesops
serves, so a connection that does not ask for the current one is closed at once, before
any of its messages is read (``docs/security.md``).
"""

from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

CURRENT = "v1.kernel.websocket.jupyter.org"
POLICY_VIOLATION = 1008  # RFC 6455: a message that violates the server's policy


class CurrentProtocolOnly(ZMQChannelsWebsocketConnection):
    """A kernel connection that refuses the legacy JSON protocol (see the module)."""

    async def connect(self) -> None:  # type: ignore[override]
        """Connect to the kernel, or close the socket of a client on the older protocol."""
        if self.subprotocol != CURRENT:
            self.log.warning("kernel websocket without %s refused", CURRENT)
            self.websocket_handler.close(POLICY_VIOLATION, f"only {CURRENT} is served")
            return
        nudged = super().connect()  # None: the connection failed and was closed
        if nudged is not None:
            await nudged

    def handle_incoming_message(self, incoming_msg: str) -> None:
        """Read a message only on the current protocol (a refused socket may still
        deliver what it sent before it was closed)."""
        if self.subprotocol != CURRENT:
            return
        super().handle_incoming_message(incoming_msg)
