#!/usr/bin/python3
"""IPMI 2.0 (RMCP+) endpoints for the Ingot lab's simulated servers.

One process serves a whole fleet. pyghmi's BMC framework speaks the protocol; every chassis
command becomes a Redfish call on the same server's lab BMC, so the machine state stays in one
place (lab/src/machine.ts) and IPMI, Redfish and the lab's ServerHost all see the same server.

Configuration: one JSON line on stdin (the bridge then runs until stdin closes, so it dies with
the process that started it), or the path of a JSON file as the only argument (the bridge then
runs until SIGTERM or SIGINT):

    {"endpoints": [{"name": "lab-0", "port": 0, "username": "admin", "password": "...",
                    "redfish": {"url": "http://127.0.0.1:8000",
                                "system_path": "/redfish/v1/Systems/1",
                                "username": "admin", "password": "...",
                                "ca_pem": "-----BEGIN CERTIFICATE-----..."}}],
     "redfish_timeout_s": 10}

A bare list is taken as the endpoints. Port 0 lets the OS pick a free UDP port. `ca_pem`
(optional) is the certificate an HTTPS lab BMC presents; without it HTTPS is not verified.
Once every endpoint is bound, one line goes to stdout:

    {"ready": true, "endpoints": [{"name": "lab-0", "port": 41234}]}

Everything listens and connects on 127.0.0.1 only.
"""

import base64
import json
import os
import queue
import signal
import socket
import ssl
import sys
import threading
import traceback
import urllib.error
import urllib.request

try:
    import pyghmi.ipmi.bmc as pyghmi_bmc
    import pyghmi.ipmi.private.constants as ipmi_constants
    import pyghmi.ipmi.private.serversession as serversession
    import pyghmi.ipmi.private.session as ipmi_session
except ImportError as missing:
    sys.stderr.write(
        f'ipmi_bridge: {sys.executable} cannot import pyghmi ({missing}). Install the Debian '
        'package python3-pyghmi (apt-get install python3-pyghmi) and run the bridge with '
        '/usr/bin/python3, not an interpreter that lacks it.\n')
    sys.exit(3)

HOST = '127.0.0.1'
# The main loop wakes at least this often, else when a packet arrives (see Waker).
IDLE_S = 1.0

# IPMI completion codes (IPMI 2.0, table 5-2).
CC_OK = 0x00
CC_PARAMETER_NOT_SUPPORTED = 0x80
CC_TIMEOUT = 0xC3
CC_INVALID_FIELD = 0xCC
CC_INSUFFICIENT_PRIVILEGE = 0xD4
CC_UNSPECIFIED = 0xFF
# RAKP status code 0x0d: unauthorized name (IPMI 2.0, table 13-15).
RAKP_UNAUTHORIZED_NAME = 0x0D

# Boot flags (parameter 5 of the system boot options), data byte 1 and the device of byte 2.
FLAG_VALID = 0x80
FLAG_PERSISTENT = 0x40
FLAG_EFI = 0x20
DEVICE_TO_REDFISH = {1: 'Pxe', 2: 'Hdd', 5: 'Cd', 6: 'BiosSetup', 15: 'Usb'}
REDFISH_TO_DEVICE = {'Pxe': 1, 'UefiHttp': 1, 'Hdd': 2, 'Cd': 5, 'BiosSetup': 6, 'Usb': 15}
# Chassis control directives (IPMI 2.0, table 28-4) as Redfish ResetTypes.
CONTROL_TO_RESET = {
    0: 'ForceOff',  # power off
    1: 'On',  # power on
    2: 'PowerCycle',  # power cycle
    3: 'ForceRestart',  # hard reset
    4: 'Nmi',  # pulse diagnostic interrupt
    5: 'GracefulShutdown',  # soft off via ACPI
}


def log(message):
    sys.stderr.write(f'ipmi_bridge: {message}\n')
    sys.stderr.flush()


class RedfishError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class Redfish:
    """The calls the bridge makes on one lab BMC, with its own account (HTTP basic)."""

    def __init__(self, config, timeout_s):
        self.base = config['url'].rstrip('/')
        if not self.base.startswith(('http://127.0.0.1:', 'https://127.0.0.1:')):
            raise ValueError(f'redfish url must be on 127.0.0.1, got {config["url"]}')
        self.system = config['system_path']
        self.timeout_s = timeout_s
        credentials = f'{config["username"]}:{config["password"]}'.encode('utf-8')
        self.authorization = 'Basic ' + base64.b64encode(credentials).decode('ascii')
        if config.get('ca_pem'):
            context = ssl.create_default_context(cadata=config['ca_pem'])
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # No proxies, whatever the environment says: the lab BMC is on loopback.
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))

    def system_resource(self):
        return self.call('GET', self.system)

    def reset(self, reset_type):
        self.call('POST', f'{self.system}/Actions/ComputerSystem.Reset',
                  {'ResetType': reset_type})

    def patch_boot(self, boot):
        self.call('PATCH', self.system, {'Boot': boot})

    def call(self, method, path, body=None):
        what = f'{method} {self.base}{path}'
        headers = {'Authorization': self.authorization, 'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with self.opener.open(request, timeout=self.timeout_s) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read(500).decode('utf-8', 'replace')
            code = {400: CC_INVALID_FIELD, 401: CC_INSUFFICIENT_PRIVILEGE,
                    403: CC_INSUFFICIENT_PRIVILEGE}.get(error.code, CC_UNSPECIFIED)
            raise RedfishError(f'{what}: HTTP {error.code} {detail}', code) from None
        except urllib.error.URLError as error:
            code = CC_TIMEOUT if isinstance(error.reason, TimeoutError) else CC_UNSPECIFIED
            raise RedfishError(f'{what}: {error.reason}', code) from None
        except TimeoutError:
            raise RedfishError(f'{what}: no answer within {self.timeout_s} s',
                               CC_TIMEOUT) from None
        except (OSError, ValueError) as error:
            raise RedfishError(f'{what}: {error}', CC_UNSPECIFIED) from None
        try:
            return json.loads(text) if text else None
        except ValueError:
            raise RedfishError(f'{what}: the answer is not JSON', CC_UNSPECIFIED) from None


class LabServerSession(serversession.ServerSession):
    """pyghmi's server session, but an unknown user name gets a RAKP 2 error at once.

    pyghmi ignores the RAKP 1 of an unknown user, which leaves the client retrying until it
    times out; a real BMC answers 'unauthorized name'.
    """

    def _got_rakp1(self, data):
        name = bytes(data[28:]).decode('utf-8', 'replace')
        if data[27] and name not in self.authdata:
            self.send_payload(bytearray([data[0], RAKP_UNAUTHORIZED_NAME, 0, 0])
                              + self.clientsessionid,
                              ipmi_constants.payload_types['rakp2'], retry=False)
            return
        super()._got_rakp1(data)


# IpmiServer.sessionless_data creates the session through this module attribute.
serversession.ServerSession = LabServerSession


class Reply:
    """Where the answer to one request goes, captured before another request can arrive."""

    def __init__(self, session):
        self.session = session
        self.fields = (session.seqlun, session.rqlun, session.clientaddr, session.clientnetfn,
                       session.clientcommand)
        self.key = (session.sockaddr, session.seqlun, session.clientnetfn, session.clientcommand)

    def send(self, code, data):
        session = self.session
        (session.seqlun, session.rqlun, session.clientaddr, session.clientnetfn,
         session.clientcommand) = self.fields
        session.send_ipmi_response(data=data, code=code)


class Waker:
    """Wakes the main loop from another thread: pyghmi's event loop returns when a packet arrives
    on one of its sockets, and drops one this short (under 22 bytes) from an address it has no
    session with."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((HOST, 0))
        self.address = None

    def aim(self, server_socket):
        self.address = server_socket.getsockname()

    def __call__(self):
        if self.address is None:
            return
        try:
            self.socket.sendto(b'wake', self.address)
        except OSError:
            pass


class Dispatcher:
    """Runs each Redfish call in its own thread, so that a slow or wedged lab BMC holds up only
    its own commands, and answers from the main thread, the only one that touches pyghmi."""

    def __init__(self, wake):
        self.finished = queue.SimpleQueue()
        self.in_flight = set()
        self.wake = wake

    def submit(self, bmc, session, what, action):
        reply = Reply(session)
        key = (bmc.port,) + reply.key
        if key in self.in_flight:
            return  # a retransmission of a request still being answered
        self.in_flight.add(key)

        def work():
            try:
                code, data = action()
            except RedfishError as error:
                log(f'{bmc.name} (udp {HOST}:{bmc.port}) {what}: completion code '
                    f'0x{error.code:02x}: {error}')
                code, data = error.code, []
            except Exception:
                log(f'{bmc.name} (udp {HOST}:{bmc.port}) {what} failed:\n'
                    f'{traceback.format_exc()}')
                code, data = CC_UNSPECIFIED, []
            self.finished.put((key, reply, code, data))
            self.wake()

        threading.Thread(target=work, name=f'{bmc.name} {what}', daemon=True).start()

    def deliver(self):
        while True:
            try:
                key, reply, code, data = self.finished.get_nowait()
            except queue.Empty:
                return
            self.in_flight.discard(key)
            try:
                reply.send(code, data)
            except Exception:
                log(f'answering {key} failed:\n{traceback.format_exc()}')


class LabBmc(pyghmi_bmc.Bmc):
    """The IPMI face of one lab server: chassis commands become Redfish calls."""

    def __init__(self, endpoint, dispatcher, redfish_timeout_s):
        self.name = str(endpoint.get('name') or f'port {endpoint.get("port", 0)}')
        requested = int(endpoint.get('port', 0))
        self.redfish = Redfish(endpoint['redfish'], redfish_timeout_s)
        self.dispatcher = dispatcher
        try:
            super().__init__({endpoint['username']: endpoint['password']}, port=requested,
                             address=HOST)
        except OSError as error:
            raise SystemExit(
                f'ipmi_bridge: {self.name}: cannot bind UDP {HOST}:{requested}: {error}') from None
        # pyghmi keys its sessions by self.port: with port 0, learn the one the OS chose.
        self.port = self.serversocket.getsockname()[1]

    def handle_raw_request(self, request, session):
        netfn, command, data = request['netfn'], request['command'], request['data']
        action = None
        if netfn == 0 and command == 0x01:
            what, action = 'get chassis status', self.chassis_status
        elif netfn == 0 and command == 0x02 and len(data) >= 1:
            what, action = f'chassis control {data[0]}', lambda: self.chassis_control(data[0])
        elif netfn == 0 and command == 0x08 and len(data) >= 1 and data[0] & 0x7F == 5:
            flags = bytes(data[1:])
            what, action = 'set boot flags', lambda: self.set_boot_flags(flags)
        elif netfn == 0 and command == 0x09 and len(data) >= 1 and data[0] & 0x7F == 5:
            what, action = 'get boot flags', self.get_boot_flags
        if action is None:
            # Device id, boot option parameters other than the flags (acknowledged), the rest
            # refused as pyghmi does.
            return super().handle_raw_request(request, session)
        self.dispatcher.submit(self, session, what, action)

    def chassis_status(self):
        power = self.redfish.system_resource().get('PowerState')
        return CC_OK, [1 if power in ('On', 'PoweringOff') else 0, 0, 0]

    def chassis_control(self, directive):
        reset_type = CONTROL_TO_RESET.get(directive)
        if reset_type is None:
            return CC_INVALID_FIELD, []
        self.redfish.reset(reset_type)
        return CC_OK, []

    def set_boot_flags(self, flags):
        if len(flags) < 2:
            return CC_INVALID_FIELD, []
        device = (flags[1] >> 2) & 0x0F
        if not flags[0] & FLAG_VALID or device == 0:
            self.redfish.patch_boot({'BootSourceOverrideEnabled': 'Disabled'})
            return CC_OK, []
        target = DEVICE_TO_REDFISH.get(device)
        if target is None:  # safe mode and diagnostic boots: the lab machine has neither
            return CC_INVALID_FIELD, []
        self.redfish.patch_boot({
            'BootSourceOverrideTarget': target,
            'BootSourceOverrideEnabled': 'Continuous' if flags[0] & FLAG_PERSISTENT else 'Once',
            'BootSourceOverrideMode': 'UEFI' if flags[0] & FLAG_EFI else 'Legacy',
        })
        return CC_OK, []

    def get_boot_flags(self):
        boot = self.redfish.system_resource().get('Boot') or {}
        enabled = boot.get('BootSourceOverrideEnabled', 'Disabled')
        device = REDFISH_TO_DEVICE.get(boot.get('BootSourceOverrideTarget'), 0)
        flags = 0
        if enabled != 'Disabled' and device:
            flags |= FLAG_VALID
            if enabled == 'Continuous':
                flags |= FLAG_PERSISTENT
        else:
            device = 0
        if boot.get('BootSourceOverrideMode') == 'UEFI':
            flags |= FLAG_EFI
        # Parameter version 1, parameter 5 (valid, unlocked), then the five data bytes.
        return CC_OK, [1, 5, flags, device << 2, 0, 0, 0]


def read_config(argv):
    if len(argv) > 2:
        raise SystemExit('usage: ipmi_bridge.py [CONFIG.json]  (or one JSON line on stdin)')
    if len(argv) == 2:
        with open(argv[1], encoding='utf-8') as handle:
            text = handle.read()
    else:
        text = sys.stdin.readline()
    try:
        config = json.loads(text)
    except ValueError as error:
        raise SystemExit(f'ipmi_bridge: the configuration is not JSON: {error}') from None
    if isinstance(config, list):
        config = {'endpoints': config}
    endpoints = config.get('endpoints') if isinstance(config, dict) else None
    if not isinstance(endpoints, list) or not endpoints:
        raise SystemExit('ipmi_bridge: the configuration lists no endpoints')
    for index, endpoint in enumerate(endpoints):
        redfish = endpoint.get('redfish') if isinstance(endpoint, dict) else None
        missing = [key for key in ('username', 'password', 'redfish')
                   if not isinstance(endpoint, dict) or key not in endpoint]
        if isinstance(redfish, dict):
            missing += [f'redfish.{key}' for key in ('url', 'system_path', 'username',
                                                     'password') if key not in redfish]
        if missing:
            raise SystemExit(f'ipmi_bridge: endpoint {index} lacks {", ".join(missing)}')
    return config


def main(argv):
    config = read_config(argv)
    wake = Waker()
    stopping = threading.Event()

    def stop(*_):
        stopping.set()
        wake()

    signal.signal(signal.SIGTERM, stop)
    # Fed on stdin, the bridge belongs to the process that started it, which closes stdin to end
    # it; a Ctrl-C at the terminal is for that process to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN if len(argv) < 2 else stop)
    dispatcher = Dispatcher(wake)
    timeout_s = float(config.get('redfish_timeout_s', 10))
    try:
        bmcs = [LabBmc(endpoint, dispatcher, timeout_s) for endpoint in config['endpoints']]
    except ValueError as error:
        raise SystemExit(f'ipmi_bridge: {error}') from None
    wake.aim(bmcs[0].serversocket)
    if len(argv) < 2:
        def watch_stdin():
            # os.read, not sys.stdin: a daemon thread blocked inside the buffered reader would
            # abort the interpreter's shutdown.
            while os.read(sys.stdin.fileno(), 4096):
                pass
            stop()

        threading.Thread(target=watch_stdin, name='stdin', daemon=True).start()
    ready = {'ready': True, 'endpoints': [{'name': b.name, 'port': b.port} for b in bmcs]}
    sys.stdout.write(json.dumps(ready) + '\n')
    sys.stdout.flush()
    while not stopping.is_set():
        ipmi_session.Session.wait_for_rsp(timeout=IDLE_S)
        dispatcher.deliver()
    return 0


if __name__ == '__main__':
    status = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's shutdown: Redfish calls may still be running in daemon threads.
    os._exit(status)
