//! Git's pack file (version 2) and pack index (version 2) for objects stored whole, as
//! `gitformat-pack(5)` describes them.
//!
//! libgit2's pack builder compresses at zlib's default level and its indexer then inflates and
//! hashes every object again to build the index: the two were a fifth of a first apply's CPU.
//! Here each object is compressed once, at zlib's fastest level (what `core.compression = 1`
//! gives in git; `git gc` recompresses at the default level), and the index is built from
//! the ids the objects already have.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use git2::{ObjectType, Oid};
use sha1::{Digest, Sha1};

/// One object to pack: its id (already computed when it was written) and its content.
#[derive(Debug, Clone, Copy)]
pub(super) struct Object<'a> {
    /// The object's id.
    pub(super) id: Oid,
    /// Commit, tree, blob or tag.
    pub(super) kind: ObjectType,
    /// The object's content (without git's `<type> <size>\0` header).
    pub(super) data: &'a [u8],
}

/// A pack and its index, ready to be written as `pack-<checksum>.pack` and `.idx`.
#[derive(Debug)]
pub(super) struct Packed {
    /// The pack file.
    pub(super) bytes: Vec<u8>,
    /// The index file.
    pub(super) index: Vec<u8>,
    /// The pack's trailing checksum, which names both files.
    pub(super) checksum: [u8; 20],
}

impl Packed {
    /// The lowercase hex name of the pack (`pack-<name>.pack`).
    pub(super) fn name(&self) -> String {
        // a SHA-1 written as an object id is: 40 hex digits
        Oid::from_bytes(&self.checksum)
            .expect("a SHA-1 is 20 bytes")
            .to_string()
    }
}

/// Where an object landed in the pack.
struct Entry {
    id: Oid,
    crc: u32,
    offset: u64,
}

/// Pack `objects` (each stored whole, in the order given; ids must be distinct).
///
/// # Panics
/// When more than 2³² objects are given (the format's count is 32 bits).
pub(super) fn encode(objects: &[Object<'_>]) -> Packed {
    let mut pack = Vec::with_capacity(12 + objects.iter().map(|o| o.data.len() / 3).sum::<usize>());
    pack.extend_from_slice(b"PACK");
    pack.extend_from_slice(&2u32.to_be_bytes());
    let count = u32::try_from(objects.len()).expect("a pack holds at most 2^32 objects");
    pack.extend_from_slice(&count.to_be_bytes());
    let mut entries = Vec::with_capacity(objects.len());
    // one compressor, reset for each object: setting one up costs more than compressing a
    // file of a few kilobytes
    let mut z = Compress::new(Compression::fast(), true);
    for object in objects {
        let start = pack.len();
        object_header(&mut pack, type_code(object.kind), object.data.len());
        z.reset();
        deflate(&mut z, object.data, &mut pack);
        let mut crc = Crc::new();
        crc.update(&pack[start..]);
        entries.push(Entry {
            id: object.id,
            crc: crc.sum(),
            offset: start as u64,
        });
    }
    let checksum: [u8; 20] = Sha1::digest(&pack).into();
    pack.extend_from_slice(&checksum);
    let index = index(&mut entries, &checksum);
    Packed {
        bytes: pack,
        index,
        checksum,
    }
}

/// Append `data` compressed as one zlib stream to `out`.
fn deflate(z: &mut Compress, data: &[u8], out: &mut Vec<u8>) {
    let mut input = data;
    loop {
        // zlib's bound for stored blocks: the data, 5 bytes per 16 KiB block, header and trailer
        out.reserve(input.len() + input.len() / 1000 + 64);
        let before = z.total_in();
        // compressing into memory cannot fail: the stream is well formed by construction
        let status = z
            .compress_vec(input, out, FlushCompress::Finish)
            .expect("zlib compresses any bytes");
        let used = usize::try_from(z.total_in() - before).unwrap_or(input.len());
        input = &input[used..];
        if status == Status::StreamEnd {
            return;
        }
    }
}

/// The pack type number of `kind`.
fn type_code(kind: ObjectType) -> u8 {
    match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Tag => 4,
        // eksvend packs no other kind; a blob is the only remaining whole object
        _ => 3,
    }
}

/// An object's header: its type and size, the size in 4 bits and then 7 bits a byte, low bits
/// first, the high bit set on every byte but the last.
fn object_header(out: &mut Vec<u8>, type_code: u8, size: usize) {
    let mut rest = size >> 4;
    #[allow(clippy::cast_possible_truncation, reason = "masked to 4 bits")]
    let mut byte = (type_code << 4) | (size & 0x0f) as u8;
    while rest > 0 {
        out.push(byte | 0x80);
        #[allow(clippy::cast_possible_truncation, reason = "masked to 7 bits")]
        {
            byte = (rest & 0x7f) as u8;
        }
        rest >>= 7;
    }
    out.push(byte);
}

/// The version-2 index of `entries` (sorted here by id) in a pack whose checksum is
/// `pack_checksum`: fan-out table, ids, CRC-32s, offsets (31 bits, or an index into a table of
/// 64-bit offsets), the pack's checksum and the index's own.
fn index(entries: &mut [Entry], pack_checksum: &[u8; 20]) -> Vec<u8> {
    entries.sort_unstable_by_key(|e| e.id);
    let mut idx = Vec::with_capacity(8 + 1024 + entries.len() * 28 + 40);
    idx.extend_from_slice(b"\xfftOc");
    idx.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for e in entries.iter() {
        fanout[usize::from(e.id.as_bytes()[0])] += 1;
    }
    let mut total = 0u32;
    for slot in fanout {
        total += slot;
        idx.extend_from_slice(&total.to_be_bytes());
    }
    for e in entries.iter() {
        idx.extend_from_slice(e.id.as_bytes());
    }
    for e in entries.iter() {
        idx.extend_from_slice(&e.crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for e in entries.iter() {
        let small = u32::try_from(e.offset)
            .ok()
            .filter(|o| o & 0x8000_0000 == 0);
        let word = small.unwrap_or_else(|| {
            let at = u32::try_from(large.len()).expect("fewer than 2^31 large offsets");
            large.push(e.offset);
            0x8000_0000 | at
        });
        idx.extend_from_slice(&word.to_be_bytes());
    }
    for offset in large {
        idx.extend_from_slice(&offset.to_be_bytes());
    }
    idx.extend_from_slice(pack_checksum);
    let own: [u8; 20] = Sha1::digest(&idx).into();
    idx.extend_from_slice(&own);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: ObjectType, data: &[u8]) -> (Oid, ObjectType, Vec<u8>) {
        (Oid::hash_object(kind, data).unwrap(), kind, data.to_vec())
    }

    #[test]
    fn headers_carry_the_size_in_4_then_7_bit_groups() {
        let header = |size| {
            let mut out = Vec::new();
            object_header(&mut out, 3, size);
            out
        };
        assert_eq!(header(0), [0x30]);
        assert_eq!(header(15), [0x3f]);
        assert_eq!(header(16), [0xb0, 0x01]);
        assert_eq!(header(0x1234), [0xb4, 0xa3, 0x02]);
    }

    /// The index is byte for byte the one `git index-pack` builds from the pack (which also
    /// re-hashes and inflates every object, so the pack itself is checked too).
    #[test]
    fn the_index_is_the_one_git_index_pack_builds() {
        let big: Vec<u8> = (0..70_000u32).flat_map(u32::to_le_bytes).collect();
        let owned = [
            object(ObjectType::Blob, b""),
            object(ObjectType::Blob, b"hello\n"),
            object(ObjectType::Blob, &big),
            object(ObjectType::Blob, "ünïcode ✓\n".repeat(40).as_bytes()),
        ];
        let objects: Vec<Object<'_>> = owned
            .iter()
            .map(|(id, kind, data)| Object {
                id: *id,
                kind: *kind,
                data,
            })
            .collect();
        let packed = encode(&objects);
        let dir = tempfile::tempdir().unwrap();
        let pack_path = dir.path().join(format!("pack-{}.pack", packed.name()));
        std::fs::write(&pack_path, &packed.bytes).unwrap();
        let out = super::super::git_cli(
            dir.path(),
            &[
                "index-pack".as_ref(),
                "--strict".as_ref(),
                pack_path.as_os_str(),
            ],
        );
        // git prints the pack's name: its checksum
        assert_eq!(out.trim(), packed.name());
        let theirs = std::fs::read(pack_path.with_extension("idx")).unwrap();
        assert_eq!(theirs, packed.index);
    }

    #[test]
    fn large_offsets_go_to_the_64_bit_table() {
        let id = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        let mut entries = vec![
            Entry {
                id: id(2),
                crc: 7,
                offset: 0x1_0000_0000,
            },
            Entry {
                id: id(1),
                crc: 9,
                offset: 12,
            },
        ];
        let idx = index(&mut entries, &[0; 20]);
        let offsets = 8 + 1024 + 2 * 20 + 2 * 4;
        assert_eq!(&idx[offsets..offsets + 4], &12u32.to_be_bytes());
        assert_eq!(
            &idx[offsets + 4..offsets + 8],
            &0x8000_0000u32.to_be_bytes()
        );
        assert_eq!(
            &idx[offsets + 8..offsets + 16],
            &0x1_0000_0000u64.to_be_bytes()
        );
    }
}
