package s3wire

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// IDs are the identifiers S3 sends with every response: the request id
// (x-amz-request-id, <RequestId>) and the extended host id (x-amz-id-2,
// <HostId>). HostID is omitted when empty.
type IDs struct {
	RequestID string
	HostID    string
}

// ContentType is the Content-Type of an S3 error document.
const ContentType = "application/xml"

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// AppendXML appends e's <Error> document to dst: the XML declaration, then
// Code, Message, BucketName, Key, Resource, RequestId and HostId, the
// optional ones only when set. Every field is escaped; invalid UTF-8 and
// characters XML 1.0 cannot carry become U+FFFD (encoding/xml's EscapeText).
func AppendXML(dst []byte, e *Error, ids IDs) []byte {
	b := bytes.NewBuffer(dst)
	b.WriteString(xmlHeader)
	b.WriteString("<Error>")
	element(b, "Code", e.Code.Name, true)
	element(b, "Message", e.Message, true)
	element(b, "BucketName", e.BucketName, false)
	element(b, "Key", e.Key, false)
	element(b, "Resource", e.Resource, false)
	element(b, "RequestId", ids.RequestID, true)
	element(b, "HostId", ids.HostID, false)
	b.WriteString("</Error>")
	return b.Bytes()
}

func element(b *bytes.Buffer, name, value string, always bool) {
	if value == "" && !always {
		return
	}
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
	_ = xml.EscapeText(b, []byte(value)) // a bytes.Buffer does not fail
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// WriteError writes err as S3 does: the status of its code, Content-Type
// application/xml, x-amz-request-id and x-amz-id-2, and the <Error>
// document, except for HEAD, which gets the status and headers and no
// body (S3's HEAD errors carry none; clients read the status). err is
// mapped with ToWire; the wire error written is returned, for the caller's
// log and audit record.
func WriteError(w http.ResponseWriter, method string, ids IDs, err error) *Error {
	we := ToWire(err)
	h := w.Header()
	h.Set("Content-Type", ContentType)
	if ids.RequestID != "" {
		h.Set("x-amz-request-id", ids.RequestID)
	}
	if ids.HostID != "" {
		h.Set("x-amz-id-2", ids.HostID)
	}
	if method == http.MethodHead {
		w.WriteHeader(we.Code.Status)
		return we
	}
	body := AppendXML(make([]byte, 0, 512), we, ids)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(we.Code.Status)
	_, _ = w.Write(body) // the status is sent; a failed write is the client's hang-up
	return we
}
