package snapshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Load reads a snapshot from a file that LoadReader understands. A saved
// roster page carries no clock, so its snapshot's Time is the file's
// modification time, in UTC: when the page was saved, as near as can be
// known. Errors name the file.
func Load(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, isPage, err := load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if isPage {
		if fi, err := f.Stat(); err == nil {
			s.Time = fi.ModTime().UTC()
		}
	}
	return s, nil
}

// LoadReader reads a snapshot that is either JSON, as the command line's
// --format json writes it (interpreted fields, if any, are ignored), or a
// saved roster page, which Parse reads; the snapshot of a page has a zero
// Time. The first byte that is not white space (after any UTF-8 byte order
// mark) decides: "{" is JSON, anything else a page.
//
// JSON must be one object, with an "items" array, and nothing after it. A page's errors are
// Parse's, so errors.Is(err, ErrNotRoster) still tells a login page from a
// roster.
func LoadReader(r io.Reader) (*Snapshot, error) {
	s, _, err := load(r)
	return s, err
}

func load(r io.Reader) (s *Snapshot, isPage bool, err error) {
	if r == nil {
		return nil, false, errors.New("snapshot: LoadReader called with a nil reader")
	}
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return nil, false, err
	}
	if first != '{' {
		items, err := Parse(br)
		if err != nil {
			return nil, true, err
		}
		return &Snapshot{Items: items}, true, nil
	}
	dec := json.NewDecoder(br)
	// Items is a pointer so that another JSON object, such as the output
	// of rosteron diff, is an error rather than an empty roster.
	var j struct {
		Time  time.Time `json:"time"`
		Items *[]Item   `json:"items"`
	}
	if err := dec.Decode(&j); err != nil {
		return nil, false, fmt.Errorf("snapshot: reading JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, errors.New("snapshot: reading JSON: more data after the snapshot")
	}
	if j.Items == nil {
		return nil, false, errors.New(`snapshot: reading JSON: not a roster snapshot: no "items" array`)
	}
	return &Snapshot{Time: j.Time, Items: *j.Items}, false, nil
}

// firstByte skips a byte order mark and white space and returns, without
// consuming it, the first byte after them. An input with nothing else is
// io.ErrUnexpectedEOF.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		switch {
		case err == io.EOF:
			return 0, fmt.Errorf("snapshot: empty input: %w", io.ErrUnexpectedEOF)
		case err != nil:
			return 0, fmt.Errorf("snapshot: reading: %w", err)
		}
		switch c {
		case ' ', '\t', '\r', '\n', '\f':
			continue
		}
		return c, br.UnreadByte()
	}
}
