package testserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// verifySignature checks a request's Signature Version 4 the way AWS
// does: it parses the Authorization header, then signs a copy of the
// request made of the signed headers only, the body's SHA-256 and the
// request's own X-Amz-Date with the fake's secret key (through the SDK's
// signer), and compares the two signatures. A non-zero status is the
// error to answer with.
func (f *FakeCloudMap) verifySignature(r *http.Request, body []byte) (status int, typ, msg string) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return 400, "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	var credential, signedHeaders, signature string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			signature = v
		}
	}
	scope := strings.Split(credential, "/") // AKID/DATE/REGION/SERVICE/aws4_request
	if len(scope) != 5 || signedHeaders == "" || signature == "" {
		return 400, "IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature"
	}
	if scope[0] != f.accessKey {
		return 400, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if scope[3] != "servicediscovery" || scope[4] != "aws4_request" {
		return 400, "InvalidSignatureException", "Credential should be scoped to correct service: 'servicediscovery'."
	}
	date, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return 400, "IncompleteSignatureException", "X-Amz-Date is missing or not in ISO 8601 basic format"
	}
	if d := time.Since(date); d > 5*time.Minute || d < -5*time.Minute {
		return 400, "InvalidSignatureException", "Signature expired: " + r.Header.Get("X-Amz-Date") + " is more than 5 minutes from now"
	}
	if scope[1] != date.Format("20060102") {
		return 400, "InvalidSignatureException", "Credential should be scoped to a valid date"
	}
	signed := strings.Split(signedHeaders, ";")
	for _, must := range []string{"host", "x-amz-date", "x-amz-target"} {
		if !slices.Contains(signed, must) {
			return 400, "InvalidSignatureException", "Header " + must + " must be signed"
		}
	}

	copyReq, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return 400, "InvalidSignatureException", err.Error()
	}
	copyReq.Host = r.Host
	for _, h := range signed {
		switch h {
		case "host":
		case "content-length":
			copyReq.ContentLength = int64(len(body))
		default:
			copyReq.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: f.accessKey, SecretAccessKey: f.secretKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, copyReq, hex.EncodeToString(sum[:]), scope[3], scope[2], date); err != nil {
		return 500, "InternalFailure", err.Error()
	}
	want := copyReq.Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(want), []byte(auth)) != 1 {
		return 400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return 0, "", ""
}
