"""The dashboard's kernel websocket (:mod:`salesops.websocket`): a connection on the older
JSON protocol reads nothing. The refusal of a real client on a running server is
``tests/reports/test_dashboard.py::test_a_client_on_the_old_websocket_protocol_is_refused_and_the_server_goes_on``
(a Voila server: seconds)."""

from __future__ import annotations

import json

import pytest
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from salesops import server
from salesops.websocket import CURRENT, CurrentProtocolOnly

# a widget-state request on the older protocol, as the one that froze the server (issue 29)
LEGACY = json.dumps(
    {
        "channel": "shell",
        "header": {"msg_id": "1", "msg_type": "comm_msg", "username": "", "session": "t"},
        "parent_header": {},
        "metadata": {},
        "content": {"comm_id": "x", "data": {"method": "request_state"}},
    }
)


def test_a_message_on_the_older_protocol_is_never_read():
    """A connection whose socket selected no subprotocol (the older one) and whose
    channels are open: jupyter_server's own connection reads the message and goes on to
    hand it to the kernel (here, with no kernel manager, it fails doing so); ours drops it
    unread."""
    ours = CurrentProtocolOnly()
    ours.channels = {"shell": None}
    assert ours.subprotocol != CURRENT
    assert ours.handle_incoming_message(LEGACY) is None
    assert ours.handle_incoming_message("{not json") is None  # not even parsed
    theirs = ZMQChannelsWebsocketConnection()
    theirs.channels = {"shell": None}
    with pytest.raises(AttributeError):
        theirs.handle_incoming_message(LEGACY)


def test_the_server_uses_this_connection_class():
    flag = "--Voila.kernel_websocket_connection_class=salesops.websocket.CurrentProtocolOnly"
    assert flag in server.voila_command(9999)
