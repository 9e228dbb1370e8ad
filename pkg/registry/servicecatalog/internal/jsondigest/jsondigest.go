// Package jsondigest tells two JSON documents apart by the values they hold without
// decoding them. A strategy that compares specs decodes both copies of every raw JSON
// field whose bytes differ (helper.Semantic); a digest of each side, computed without
// allocating, shows most changed documents to be changed before that.
//
// Equal values have equal digests, whatever their encoding: object keys in any order,
// whitespace, escapes in strings, numbers in any notation (as helper.Semantic compares
// them: 1, 1.0 and 10e-1 are equal). Different values almost always have different
// digests; when they do not, the caller decodes as before.
package jsondigest

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"strconv"
)

// Differ reports whether a and b are known to hold different JSON values: both can be
// digested and their digests differ. False means they may hold the same value.
func Differ(a, b []byte) bool {
	da, okA := Of(a)
	if !okA {
		return false
	}
	db, okB := Of(b)
	return okB && da != db
}

// Of returns the digest of the one JSON value data holds. ok is false when data is not
// one JSON value, or when it cannot be digested without decoding: objects with more
// than maxKeys keys or with a key twice, values nested deeper than maxDepth.
func Of(data []byte) (digest uint64, ok bool) {
	s := scanner{data: data}
	digest, ok = s.value(0)
	s.skipSpace()
	return digest, ok && s.pos == len(data)
}

const (
	// maxKeys is the most keys of one object whose duplicates the digest looks for.
	maxKeys = 64
	// maxDepth is the deepest nesting digested.
	maxDepth = 100
)

// Tags keep values of different types apart.
const (
	tagNull uint64 = iota + 1
	tagFalse
	tagTrue
	tagNumber
	tagNumberText
	tagString
	tagArray
	tagObject
)

// seed keys the hashes of strings and numbers; digests are compared within the process.
var seed = maphash.MakeSeed()

// scanner walks one document.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value digests the value at the scanner's position.
func (s *scanner) value(depth int) (uint64, bool) {
	s.skipSpace()
	if s.pos >= len(s.data) || depth > maxDepth {
		return 0, false
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		return s.string()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 'n':
		return s.literal("null", tagNull)
	case c == 'f':
		return s.literal("false", tagFalse)
	case c == 't':
		return s.literal("true", tagTrue)
	}
	return 0, false
}

// literal digests the literal text as tag.
func (s *scanner) literal(text string, tag uint64) (uint64, bool) {
	if len(s.data)-s.pos < len(text) || string(s.data[s.pos:s.pos+len(text)]) != text {
		return 0, false
	}
	s.pos += len(text)
	return tag, true
}

// object digests an object from the sum of its members' digests, so that the order of
// its keys does not matter.
func (s *scanner) object(depth int) (uint64, bool) {
	s.pos++ // {
	if s.skipSpace(); s.consume('}') {
		return mix(tagObject, 0), true
	}
	var keys [maxKeys]uint64
	var sum uint64
	for n := 0; ; n++ {
		s.skipSpace()
		key, ok := s.string()
		if !ok || n == maxKeys || seen(keys[:n], key) {
			return 0, false
		}
		keys[n] = key
		if s.skipSpace(); !s.consume(':') {
			return 0, false
		}
		v, ok := s.value(depth + 1)
		if !ok {
			return 0, false
		}
		sum += mix(key, v)
		if s.skipSpace(); s.consume('}') {
			return mix(tagObject, sum), true
		}
		if !s.consume(',') {
			return 0, false
		}
	}
}

// array digests an array from its elements in order.
func (s *scanner) array(depth int) (uint64, bool) {
	s.pos++ // [
	digest := tagArray
	s.skipSpace()
	if s.consume(']') {
		return digest, true
	}
	for {
		v, ok := s.value(depth + 1)
		if !ok {
			return 0, false
		}
		digest = mix(digest, v)
		if s.skipSpace(); s.consume(']') {
			return digest, true
		}
		if !s.consume(',') {
			return 0, false
		}
	}
}

// string digests the string at the scanner's position by its decoded text. Plain ASCII
// is its own text; anything else (escapes, other bytes) is decoded.
func (s *scanner) string() (uint64, bool) {
	if !s.consume('"') {
		return 0, false
	}
	start, plain := s.pos, true
	for ; s.pos < len(s.data); s.pos++ {
		switch c := s.data[s.pos]; {
		case c == '"':
			s.pos++
			text := s.data[start : s.pos-1]
			if plain {
				return mix(tagString, maphash.Bytes(seed, text)), true
			}
			return decodedString(s.data[start-1 : s.pos])
		case c == '\\':
			plain = false
			s.pos++ // the escaped character, which may be a quote
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return 0, false
}

// decodedString digests a quoted JSON string by its text as encoding/json decodes it.
func decodedString(quoted []byte) (uint64, bool) {
	var text string
	if err := json.Unmarshal(quoted, &text); err != nil {
		return 0, false
	}
	return mix(tagString, maphash.String(seed, text)), true
}

// number digests the number at the scanner's position by its value: its sign,
// significant digits and exponent, as helper.Semantic's canonical form has them.
// Numbers whose exponent that form cannot hold are digested by their text.
func (s *scanner) number() (uint64, bool) {
	start := s.pos
	for s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
		s.pos++
	}
	text := s.data[start:s.pos]
	n, ok := canonical(text)
	if !ok {
		return mix(tagNumberText, maphash.Bytes(seed, text)), true
	}
	var h maphash.Hash
	h.SetSeed(seed)
	_, _ = h.Write(n.digits[0]) // maphash writes never fail
	_, _ = h.Write(n.digits[1])
	var exp [8]byte
	binary.LittleEndian.PutUint64(exp[:], uint64(n.exp))
	_, _ = h.Write(exp[:])
	return mix(tagNumber, mix(n.sign, h.Sum64())), true
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// canonicalNumber is a number as sign, significant digits (split in two where the
// decimal point was) and exponent.
type canonicalNumber struct {
	sign   uint64
	digits [2][]byte
	exp    int64
}

// canonical returns the canonical form of a JSON number: zero has no sign and no digits,
// other numbers no leading or trailing zeros. It reports false for exponents beyond
// ±2^62, as helper.Semantic does.
func canonical(text []byte) (canonicalNumber, bool) {
	var n canonicalNumber
	if len(text) > 0 && text[0] == '-' {
		n.sign, text = 1, text[1:]
	}
	mantissa := text
	for i, c := range text {
		if c == 'e' || c == 'E' {
			e, err := strconv.ParseInt(string(text[i+1:]), 10, 64)
			if err != nil || e > 1<<62 || e < -(1<<62) {
				return n, false
			}
			mantissa, n.exp = text[:i], e
			break
		}
	}
	n.digits[0] = mantissa
	for i, c := range mantissa {
		if c == '.' {
			n.digits[0], n.digits[1] = mantissa[:i], mantissa[i+1:]
			n.exp -= int64(len(n.digits[1]))
			break
		}
	}
	n.trimLeadingZeros()
	if len(n.digits[0])+len(n.digits[1]) == 0 {
		return canonicalNumber{}, true
	}
	n.exp += n.trimTrailingZeros()
	return n, true
}

func (n *canonicalNumber) trimLeadingZeros() {
	for i := range n.digits {
		for len(n.digits[i]) > 0 && n.digits[i][0] == '0' {
			n.digits[i] = n.digits[i][1:]
		}
		if len(n.digits[i]) > 0 {
			return
		}
	}
}

// trimTrailingZeros trims the zeros at the end of the digits and returns how many.
func (n *canonicalNumber) trimTrailingZeros() int64 {
	var trimmed int64
	for i := len(n.digits) - 1; i >= 0; i-- {
		for len(n.digits[i]) > 0 && n.digits[i][len(n.digits[i])-1] == '0' {
			n.digits[i] = n.digits[i][:len(n.digits[i])-1]
			trimmed++
		}
		if len(n.digits[i]) > 0 {
			break
		}
	}
	return trimmed
}

// consume skips c if it is next.
func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// seen reports whether key is among keys.
func seen(keys []uint64, key uint64) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// mix combines two 64-bit values into one, so that a change of either changes the result
// (the finalizer of SplitMix64 over their combination).
func mix(a, b uint64) uint64 {
	x := a*0x9e3779b97f4a7c15 + b
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
