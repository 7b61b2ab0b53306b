"""CPython asyncio streams echo server, the baseline for bench/echo_peer.ts.

Each connection echoes every chunk it reads (read, write, drain), as the
asyncio streams documentation's handle_client does, but continuously.
Prints `Serving on HOST:PORT` once listening.

Run: python3 bench/echo_server.py [port] [host]   (port 0 picks a free one)
"""

import asyncio
import sys


async def handle_client(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    server = await asyncio.start_server(handle_client, host, port, backlog=1024)
    addr = server.sockets[0].getsockname()
    print(f"Serving on {addr[0]}:{addr[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
