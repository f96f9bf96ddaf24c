package gateway

import (
	"encoding/xml"
	"strings"

	"github.com/brevet-dev/brevet/internal/s3/action"
	"github.com/brevet-dev/brevet/internal/s3wire"
)

// locationConstraint reads CreateBucket's optional body.
func locationConstraint(b []byte) (string, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return "", nil
	}
	var doc struct {
		XMLName            xml.Name `xml:"CreateBucketConfiguration"`
		LocationConstraint string   `xml:"LocationConstraint"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return "", malformedXML(err)
	}
	return strings.TrimSpace(doc.LocationConstraint), nil
}

// maxTags bounds a tag set (S3 allows 10 object tags, 50 bucket tags).
const maxTags = 50

// parseTagging reads a PutObjectTagging or PutBucketTagging body.
func parseTagging(b []byte) ([]action.Tag, error) {
	var doc struct {
		XMLName xml.Name `xml:"Tagging"`
		Tags    []struct {
			Key   string `xml:"Key"`
			Value string `xml:"Value"`
		} `xml:"TagSet>Tag"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, malformedXML(err)
	}
	if len(doc.Tags) > maxTags {
		return nil, s3wire.CodeMalformedXML.New("")
	}
	tags := make([]action.Tag, 0, len(doc.Tags))
	for i, t := range doc.Tags {
		// A key given twice would be authorized on one of its values
		// (action.AddTagConditions keeps the last) while a store may keep
		// another; S3 refuses it.
		for _, prev := range doc.Tags[:i] {
			if prev.Key == t.Key {
				return nil, s3wire.CodeInvalidTag.New("Cannot provide multiple Tags with the same key")
			}
		}
		tags = append(tags, action.Tag{Key: t.Key, Value: t.Value})
	}
	return tags, nil
}

func malformedXML(cause error) error {
	e := s3wire.CodeMalformedXML.New("")
	e.Cause = cause
	return e
}

// maxDeleteKeys is S3's limit on the keys of one DeleteObjects.
const maxDeleteKeys = 1000

// deleteRequest is a DeleteObjects body.
type deleteRequest struct {
	XMLName xml.Name       `xml:"Delete"`
	Objects []deleteObject `xml:"Object"`
	Quiet   bool           `xml:"Quiet,omitempty"`
}

type deleteObject struct {
	Key              string `xml:"Key"`
	VersionID        string `xml:"VersionId,omitempty"`
	ETag             string `xml:"ETag,omitempty"`
	LastModifiedTime string `xml:"LastModifiedTime,omitempty"`
	Size             string `xml:"Size,omitempty"`
}

// parseDelete reads a DeleteObjects body: 1 to 1,000 objects.
func parseDelete(b []byte) (*deleteRequest, error) {
	d := new(deleteRequest)
	if err := xml.Unmarshal(b, d); err != nil {
		return nil, malformedXML(err)
	}
	if len(d.Objects) == 0 || len(d.Objects) > maxDeleteKeys {
		return nil, s3wire.CodeMalformedXML.New("")
	}
	return d, nil
}

// escapeText is xml.EscapeText into a string.
func escapeText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
