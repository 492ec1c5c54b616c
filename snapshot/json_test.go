package snapshot

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestItemJSON(t *testing.T) {
	t.Parallel()
	item := Item{
		Date:   Date{2019, 6, 11},
		Title:  "ABCDE - Melbourne Office",
		Detail: []Field{Text("10:30 - 18:06"), Empty, Text("XYZ"), Text("Assistant")},
	}
	out, err := json.Marshal(item)
	require.NoError(t, err)
	assert.Equal(t, `{"date":"2019-06-11","title":"ABCDE - Melbourne Office","detail":["10:30 - 18:06",null,"XYZ","Assistant"]}`, string(out))

	item.Warnings = []string{"BLOGGS, JOE: Minimum 10 hours between Allocations"}
	out, err = json.Marshal(item)
	require.NoError(t, err)
	assert.Equal(t, `{"date":"2019-06-11","title":"ABCDE - Melbourne Office","detail":["10:30 - 18:06",null,"XYZ","Assistant"],"warnings":["BLOGGS, JOE: Minimum 10 hours between Allocations"]}`, string(out))

	var back Item
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, item, back)

	out, err = json.Marshal(Item{Date: Date{2019, 6, 11}})
	require.NoError(t, err)
	assert.Equal(t, `{"date":"2019-06-11","title":"","detail":[]}`, string(out))

	_, err = json.Marshal(Item{})
	assert.Error(t, err, "an item without a date cannot be written")
}

func TestItemJSONRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"title":"x","detail":[]}`,
		`{"date":null,"title":"x","detail":[]}`,
		`{"date":"2019-02-30","title":"x","detail":[]}`,
		`{"date":"2019-06-11","title":"x","detail":[1]}`,
		`{"date":"2019-06-11","title":"x","detail":[{}]}`,
		`{"date":"2019-06-11","title":1,"detail":[]}`,
		`[]`,
	} {
		var it Item
		assert.Error(t, json.Unmarshal([]byte(in), &it), in)
	}

	var it Item
	require.NoError(t, json.Unmarshal([]byte(`{"date":"2019-06-11","title":"x","detail":null}`), &it))
	assert.Equal(t, []Field{}, it.Detail)

	// No warnings read as nil however they are written, as when left out.
	for _, in := range []string{`"warnings":[]`, `"warnings":null`} {
		it = Item{}
		require.NoError(t, json.Unmarshal([]byte(`{"date":"2019-06-11","title":"x","detail":[],`+in+`}`), &it), in)
		assert.Nil(t, it.Warnings, in)
	}
}

func TestJSONHTMLEscaping(t *testing.T) {
	t.Parallel()
	// json.Marshal escapes HTML characters; an Encoder told not to must get
	// them through the nested MarshalJSON methods unescaped.
	snap := Snapshot{Items: []Item{{Date: Date{2019, 6, 11}, Title: "A & B", Detail: []Field{Text("<x>")}}}}
	out, err := json.Marshal(snap)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"title":"A \u0026 B","detail":["\u003cx\u003e"]`)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(snap))
	assert.Contains(t, buf.String(), `"title":"A & B","detail":["<x>"]`)
}

func TestFieldJSON(t *testing.T) {
	t.Parallel()
	// An empty <p> (null) and a valid empty string ("") must stay apart.
	out, err := json.Marshal([]Field{Empty, Text(""), Text("x"), {Value: "ignored", Valid: false}})
	require.NoError(t, err)
	assert.Equal(t, `[null,"","x",null]`, string(out))

	var back []Field
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, []Field{Empty, Text(""), Text("x"), Empty}, back)

	f := Text("old")
	require.NoError(t, json.Unmarshal([]byte("null"), &f))
	assert.Equal(t, Empty, f)

	for _, in := range []string{`1`, `{}`, `["x"]`, `true`} {
		var f Field
		assert.Error(t, json.Unmarshal([]byte(in), &f), in)
	}
}

func TestSnapshotJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2019, 6, 10, 8, 3, 12, 0, time.UTC)

	out, err := json.Marshal(Snapshot{Time: at})
	require.NoError(t, err)
	assert.Equal(t, `{"time":"2019-06-10T08:03:12Z","items":[]}`, string(out))

	out, err = json.Marshal(&Snapshot{Time: at, Items: []Item{}})
	require.NoError(t, err)
	assert.Equal(t, `{"time":"2019-06-10T08:03:12Z","items":[]}`, string(out))

	items, err := parseFile(t, filepath.Join("testdata", "typical.html"))
	require.NoError(t, err)
	snap := Snapshot{Time: at.Add(123456789), Items: items}
	out, err = json.Marshal(snap)
	require.NoError(t, err)

	var back Snapshot
	require.NoError(t, json.Unmarshal(out, &back))
	assert.True(t, snap.Time.Equal(back.Time))
	assert.Equal(t, snap.Items, back.Items)
	assert.Equal(t, snap.String(), back.String())

	var empty Snapshot
	require.NoError(t, json.Unmarshal([]byte(`{"time":"2019-06-10T08:03:12Z","items":[]}`), &empty))
	assert.Equal(t, []Item{}, empty.Items)
	assert.True(t, at.Equal(empty.Time))

	assert.Error(t, json.Unmarshal([]byte(`{"time":"2019-06-10T08:03:12Z","items":[{"title":"no date"}]}`), &empty))
}
