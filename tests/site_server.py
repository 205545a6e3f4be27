"""The built site over HTTP for the browser tests (tests/conftest.py's ``site_url``), in a
process of its own: ``python tests/site_server.py SITE_DIR`` serves SITE_DIR on a free port of
127.0.0.1 and prints its address (``http://127.0.0.1:PORT/``) on the first line."""

from __future__ import annotations

import functools
import re
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _site_handler(directory: Path) -> functools.partial:
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            # Material's instant navigation follows only links listed in sitemap.xml, which
            # name the published site_url: list this server's address there instead.
            if self.path.split("?")[0] == "/sitemap.xml":
                text = (directory / "sitemap.xml").read_text(encoding="utf-8")
                base = re.findall(r"<loc>([^<]+)</loc>", text)[0]
                body = text.replace(base, f"http://{self.headers['Host']}/").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    return functools.partial(Handler, directory=str(directory))


def main(directory: Path) -> None:
    """Serve ``directory`` until killed, after printing the address."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _site_handler(directory))
    print(f"http://127.0.0.1:{httpd.server_address[1]}/", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
