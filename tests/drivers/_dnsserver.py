"""A tiny authoritative DNS server on 127.0.0.1 for the dnspython driver test.

It answers over UDP from a dict of names to record texts, chases CNAMEs inside its own data as
an authoritative server does, answers NXDOMAIN for unknown names, SERVFAIL for names listed in
``servfail`` and nothing at all for names listed in ``silent``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ZoneData = dict[str, dict[str, list[str]]]


class TestDNSServer:
    __test__ = False  # not a test class

    def __init__(
        self, zone: ZoneData, *, servfail: Iterable[str] = (), silent: Iterable[str] = ()
    ) -> None:
        self.zone = {dns.name.from_text(name): data for name, data in zone.items()}
        self.servfail = {dns.name.from_text(n) for n in servfail}
        self.silent = {dns.name.from_text(n) for n in silent}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.queries: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TestDNSServer:
        self.sock.settimeout(0.05)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                request = dns.message.from_wire(wire)
            except Exception:
                continue
            response = self._answer(request)
            if response is not None:
                self.sock.sendto(response.to_wire(), peer)

    def _answer(self, request: dns.message.Message) -> dns.message.Message | None:
        question = request.question[0]
        name, rdtype = question.name, question.rdtype
        self.queries.append((name.to_text(), dns.rdatatype.to_text(rdtype)))
        if name in self.silent:
            return None
        response = dns.message.make_response(request)
        response.flags |= dns.flags.AA
        if name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        seen: set[dns.name.Name] = set()
        while True:
            data = self.zone.get(name)
            if data is None:
                if not response.answer:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                return response
            if "CNAME" in data and rdtype != dns.rdatatype.CNAME:
                rrset = dns.rrset.from_text_list(name, 300, "IN", "CNAME", data["CNAME"])
                response.answer.append(rrset)
                target = dns.name.from_text(data["CNAME"][0])
                if target in seen:
                    return response
                seen.add(name)
                name = target
                continue
            texts = data.get(dns.rdatatype.to_text(rdtype))
            if texts:
                rtype_text = dns.rdatatype.to_text(rdtype)
                response.answer.append(dns.rrset.from_text_list(name, 300, "IN", rtype_text, texts))
            return response
