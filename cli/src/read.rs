//! pcap and pcapng files to frames, streaming: one buffer of bounded size, whatever the file's.
//!
//! Frames are numbered as Wireshark numbers them (1-based, every packet record: pcap records,
//! pcapng enhanced, simple and obsolete packet blocks, and systemd journal export blocks, which
//! Wireshark shows as frames too), and timed as Wireshark times them: pcap seconds and micro- or
//! nanoseconds, pcapng timestamps in the interface's `if_tsresol` units plus its `if_tsoffset`.

use std::fmt;
use std::io::Read;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
use tcpprobe_wire::LinkType;

/// The reader's buffer; it grows for a larger record, up to [`MAX_BUFFER`].
const BUFFER: usize = 1 << 20;
/// A record larger than this is corrupt (Wireshark's own limit is 256 KiB for most link types).
const MAX_BUFFER: usize = 64 << 20;

/// pcapng block types counted as frames besides those pcap-parser parses as packets.
const OBSOLETE_PACKET_BLOCK: u32 = 2;

/// The link type a pcap `LINKTYPE_*` value is read as, as Wireshark maps it (12 and 14 are
/// `DLT_RAW` on some BSDs and are raw IP to Wireshark too).
pub fn link_type(linktype: u32) -> Option<LinkType> {
    match linktype {
        12 | 14 => Some(LinkType::Raw),
        l => LinkType::from_pcap(l),
    }
}

/// One frame as read from the file.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Wireshark's frame number.
    pub number: u64,
    /// Nanoseconds since the Unix epoch (0 for a time before it, as the plugin takes it).
    pub time_ns: u64,
    /// The link layer, when the analyzer reads it (`None`: an unknown link type).
    pub link: Option<LinkType>,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Bytes of the file read up to the end of this frame's record.
    pub end_offset: u64,
}

/// Why a file could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Byte offset in the file where reading stopped.
    pub offset: u64,
    pub what: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte offset {}", self.what, self.offset)
    }
}

/// What a file's interfaces are.
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    /// (pcap link type, resolution in units per second, offset in seconds) per interface of the
    /// current section.
    list: Vec<(u32, u64, i64)>,
    /// Link types seen that the analyzer does not read, with the offset of their description.
    pub unknown: Vec<(u32, u64)>,
    /// Whether any interface (or the pcap file) has a link type the analyzer reads.
    pub any_known: bool,
}

/// Reads frames from a pcap or pcapng stream, handing each to a callback
/// ([`FrameReader::for_each`]).
pub struct FrameReader {
    inner: Box<dyn PcapReaderIterator + Send>,
    /// Bytes of the file consumed so far.
    offset: u64,
    /// The pcap header's link type and whether its fractions are nanoseconds (pcap only).
    legacy: Option<(u32, bool)>,
    pub interfaces: Interfaces,
    frames: u64,
    buffer: usize,
    /// Byte order of the current pcapng section.
    big_endian: bool,
}

fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "end of file".into(),
        PcapError::BufferTooSmall => "a record larger than the reader's buffer".into(),
        PcapError::UnexpectedEof | PcapError::Incomplete(_) => {
            "truncated: the file ends inside a record".into()
        }
        PcapError::ReadError => "read error".into(),
        PcapError::HeaderNotRecognized => "not a pcap or pcapng file (unknown magic number)".into(),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("malformed record ({kind:?})")
        }
    }
}

impl FrameReader {
    pub fn new<R: Read + Send + 'static>(reader: R) -> Result<FrameReader, ReadError> {
        let inner = create_reader(BUFFER, reader).map_err(|e| ReadError {
            offset: 0,
            what: match e {
                PcapError::Eof => "empty file".into(),
                PcapError::Incomplete(_) | PcapError::UnexpectedEof => {
                    "truncated: shorter than a pcap or pcapng header".into()
                }
                e => describe(&e),
            },
        })?;
        Ok(FrameReader {
            inner,
            offset: 0,
            legacy: None,
            interfaces: Interfaces::default(),
            frames: 0,
            buffer: BUFFER,
            big_endian: false,
        })
    }

    /// Bytes of the file read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Frames returned so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Hands every frame to `f`, in file order, until the end (`Ok`) or an error.
    pub fn for_each(&mut self, mut f: impl FnMut(Frame<'_>)) -> Result<(), ReadError> {
        loop {
            // Split borrows: the block borrows `inner`, the rest is updated beside it.
            let (inner, offset) = (&mut self.inner, self.offset);
            let (size, block) = match inner.next() {
                Ok(ok) => ok,
                Err(PcapError::Eof) => return Ok(()),
                Err(PcapError::Incomplete(_)) => {
                    if self.inner.reader_exhausted() {
                        return Err(ReadError {
                            offset,
                            what: "truncated: the file ends inside a record".into(),
                        });
                    }
                    self.inner.refill().map_err(|e| ReadError {
                        offset,
                        what: describe(&e),
                    })?;
                    continue;
                }
                Err(PcapError::BufferTooSmall) => {
                    self.buffer *= 2;
                    if self.buffer > MAX_BUFFER || !self.inner.grow(self.buffer) {
                        return Err(ReadError {
                            offset,
                            what: format!(
                                "a record larger than {} MiB: corrupt length",
                                MAX_BUFFER >> 20
                            ),
                        });
                    }
                    self.inner.refill().map_err(|e| ReadError {
                        offset,
                        what: describe(&e),
                    })?;
                    continue;
                }
                Err(e) => {
                    return Err(ReadError {
                        offset,
                        what: describe(&e),
                    })
                }
            };
            let frame = match block {
                PcapBlockOwned::LegacyHeader(h) => {
                    // The upper bits of the link type field carry FCS length flags.
                    let lt = h.network.0 as u32 & 0x03ff_ffff;
                    self.legacy = Some((lt, h.is_nanosecond_precision()));
                    if link_type(lt).is_some() {
                        self.interfaces.any_known = true;
                    } else {
                        self.interfaces.unknown.push((lt, 20));
                    }
                    None
                }
                PcapBlockOwned::Legacy(b) => {
                    let (lt, nano) = self.legacy.unwrap_or((u32::MAX, false));
                    let frac = if nano {
                        b.ts_usec as u64
                    } else {
                        b.ts_usec as u64 * 1000
                    };
                    Some((
                        lt,
                        (b.ts_sec as u64) * 1_000_000_000 + frac,
                        clip(b.data, b.caplen),
                    ))
                }
                PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                    // Interface ids are per section.
                    self.interfaces.list.clear();
                    self.big_endian = shb.big_endian();
                    None
                }
                PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                    let lt = idb.linktype.0 as u32;
                    if link_type(lt).is_some() {
                        self.interfaces.any_known = true;
                    } else {
                        self.interfaces.unknown.push((lt, offset));
                    }
                    self.interfaces.list.push((
                        lt,
                        idb.ts_resolution().unwrap_or(1_000_000),
                        idb.ts_offset(),
                    ));
                    None
                }
                PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                    let Some(&(lt, res, off)) = self.interfaces.list.get(epb.if_id as usize) else {
                        return Err(ReadError {
                            offset,
                            what: format!(
                                "packet block of interface {} before its description",
                                epb.if_id
                            ),
                        });
                    };
                    let ts = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                    Some((lt, ng_time(ts, res, off), clip(epb.data, epb.caplen)))
                }
                PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                    let Some(&(lt, _, _)) = self.interfaces.list.first() else {
                        return Err(ReadError {
                            offset,
                            what: "simple packet block before any interface description".into(),
                        });
                    };
                    // No timestamp: Wireshark shows such frames at time 0.
                    Some((lt, 0, clip(spb.data, spb.origlen)))
                }
                PcapBlockOwned::NG(Block::Unknown(ub))
                    if ub.block_type == OBSOLETE_PACKET_BLOCK && ub.data.len() >= 20 =>
                {
                    // interface id (2), drops (2), timestamp (8), captured and original length.
                    let d = ub.data;
                    let le = !self.big_endian;
                    let u16_at = |i: usize| {
                        let b = [d[i], d[i + 1]];
                        if le {
                            u16::from_le_bytes(b)
                        } else {
                            u16::from_be_bytes(b)
                        }
                    };
                    let u32_at = |i: usize| {
                        let b = [d[i], d[i + 1], d[i + 2], d[i + 3]];
                        if le {
                            u32::from_le_bytes(b)
                        } else {
                            u32::from_be_bytes(b)
                        }
                    };
                    let if_id = u16_at(0) as usize;
                    let Some(&(lt, res, off)) = self.interfaces.list.get(if_id) else {
                        return Err(ReadError {
                            offset,
                            what: format!(
                                "packet block of interface {if_id} before its description"
                            ),
                        });
                    };
                    let ts = ((u32_at(4) as u64) << 32) | u32_at(8) as u64;
                    let caplen = u32_at(12);
                    Some((lt, ng_time(ts, res, off), clip(&d[20..], caplen)))
                }
                PcapBlockOwned::NG(Block::SystemdJournalExport(_)) => {
                    // A frame to Wireshark, never TCP.
                    Some((u32::MAX, 0, &[][..]))
                }
                PcapBlockOwned::NG(_) => None,
            };
            if let Some((lt, time_ns, data)) = frame {
                self.frames += 1;
                f(Frame {
                    number: self.frames,
                    time_ns,
                    link: link_type(lt),
                    data,
                    end_offset: offset + size as u64,
                });
            }
            self.inner.consume(size);
            self.offset += size as u64;
        }
    }
}

/// The captured bytes of a record (pcap-parser's slice may include pcapng padding).
fn clip(data: &[u8], caplen: u32) -> &[u8] {
    &data[..data.len().min(caplen as usize)]
}

/// A pcapng timestamp in `res` units per second, plus `off` seconds, in nanoseconds since the
/// epoch (0 before it, as the plugin takes Wireshark's time).
fn ng_time(ts: u64, res: u64, off: i64) -> u64 {
    let res = res.max(1) as u128;
    let ts = ts as u128;
    let secs = (ts / res) as i128 + off as i128;
    let nanos = (ts % res) * 1_000_000_000 / res;
    let total = secs * 1_000_000_000 + nanos as i128;
    total.clamp(0, u64::MAX as i128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_time_units_and_offset() {
        // Microseconds (the default resolution).
        assert_eq!(ng_time(1_500_000, 1_000_000, 0), 1_500_000_000);
        // Nanoseconds, with an offset of 10 s.
        assert_eq!(ng_time(1_000_000_001, 1_000_000_000, 10), 11_000_000_001);
        // 2^-10 s units: 1536 units = 1.5 s.
        assert_eq!(ng_time(1536, 1024, 0), 1_500_000_000);
        // A negative offset taking the time before the epoch: 0.
        assert_eq!(ng_time(5_000_000, 1_000_000, -10), 0);
    }

    #[test]
    fn raw_ip_aliases() {
        assert_eq!(link_type(12), Some(LinkType::Raw));
        assert_eq!(link_type(14), Some(LinkType::Raw));
        assert_eq!(link_type(276), Some(LinkType::LinuxSll2));
        assert_eq!(link_type(127), None);
    }
}
