//! A raw HTTP/1.1 client for the `serve` tests: real clients normalise paths like
//! `/%2e%2e/x` or `\`, which is exactly what the tests must send verbatim; it also reads
//! server-sent events one by one.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One connection of the raw client; `keep_alive` false sends `Connection: close`.
pub struct Conn {
    pub reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Conn {
            reader: BufReader::new(stream),
        })
    }

    pub fn send(&mut self, method: &str, target: &str, keep_alive: bool) -> io::Result<Reply> {
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: {connection}\r\n\r\n"
        );
        self.reader.get_mut().write_all(request.as_bytes())?;
        let (status, headers) = read_head(&mut self.reader)?;
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if method == "HEAD" {
            if !keep_alive {
                // Anything after the head would be a body the server must not send.
                self.reader.read_to_end(&mut reply.body)?;
            }
        } else if reply.header("Transfer-Encoding") == Some("chunked") {
            while let Some(chunk) = read_chunk(&mut self.reader)? {
                reply.body.extend(chunk);
            }
        } else if let Some(len) = reply.header("Content-Length") {
            let len: usize = len.parse().map_err(io::Error::other)?;
            reply.body.resize(len, 0);
            self.reader.read_exact(&mut reply.body)?;
        } else {
            self.reader.read_to_end(&mut reply.body)?;
        }
        Ok(reply)
    }
}

pub fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn read_head(reader: &mut impl BufRead) -> io::Result<(u16, Vec<(String, String)>)> {
    let status_line = read_line(reader)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| io::Error::other(line.clone()))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
}

/// `None` at the last (empty) chunk.
pub fn read_chunk(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let size_line = read_line(reader)?;
    let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
        .map_err(|_| io::Error::other(format!("bad chunk size {size_line:?}")))?;
    let mut data = vec![0; size];
    reader.read_exact(&mut data)?;
    let end = read_line(reader)?;
    if !end.is_empty() {
        return Err(io::Error::other("chunk not followed by CRLF"));
    }
    Ok((size > 0).then_some(data))
}

pub fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target)
}

pub fn request(addr: SocketAddr, method: &str, target: &str) -> Reply {
    Conn::open(addr)
        .and_then(|mut c| c.send(method, target, false))
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

/// An open `/__certpress/events` stream, read event by event.
pub struct Events {
    reader: BufReader<TcpStream>,
    pending: String,
}

impl Events {
    pub fn open(addr: SocketAddr) -> Events {
        let mut conn = Conn::open(addr).unwrap();
        let request = "GET /__certpress/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        conn.reader.get_mut().write_all(request.as_bytes()).unwrap();
        let (status, headers) = read_head(&mut conn.reader).unwrap();
        assert_eq!(status, 200);
        assert!(headers.contains(&("Content-Type".into(), "text/event-stream".into())));
        let mut events = Events {
            reader: conn.reader,
            pending: String::new(),
        };
        assert!(events.next().unwrap().contains("event: hello"));
        events
    }

    /// The next event (up to its blank line); `None` when the server ended the stream.
    pub fn next(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let event = self.pending[..end + 2].to_owned();
                self.pending.drain(..end + 2);
                return Some(event);
            }
            let chunk = read_chunk(&mut self.reader).unwrap()?;
            self.pending.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}
