package releases

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// S3Page is one page of an S3 ListObjectsV2 answer (ListBucketResult):
// the names directly under the prefix asked for, and the token of the
// next page when there is one.
type S3Page struct {
	Names     []string
	NextToken string
}

// ParseS3Listing reads a ListBucketResult (a public bucket's REST
// endpoint answering ?list-type=2&delimiter=/&prefix=P): folders from
// CommonPrefixes (with a trailing "/"), files from Contents, both
// relative to prefix, capped like an HTML listing.
func ParseS3Listing(r io.Reader, prefix string) (S3Page, error) {
	var res struct {
		XMLName        xml.Name `xml:"ListBucketResult"`
		IsTruncated    bool     `xml:"IsTruncated"`
		NextToken      string   `xml:"NextContinuationToken"`
		CommonPrefixes []struct {
			Prefix string `xml:"Prefix"`
		} `xml:"CommonPrefixes"`
		Contents []struct {
			Key string `xml:"Key"`
		} `xml:"Contents"`
	}
	dec := xml.NewDecoder(io.LimitReader(r, MaxListingBytes))
	if err := dec.Decode(&res); err != nil {
		return S3Page{}, fmt.Errorf("read S3 listing: %v", err)
	}
	var page S3Page
	add := func(key string) error {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok || name == "" || strings.Contains(strings.TrimSuffix(name, "/"), "/") {
			return nil
		}
		if len(page.Names) == MaxListingNames {
			return fmt.Errorf("%w: more than %d entries", ErrListingTooLarge, MaxListingNames)
		}
		page.Names = append(page.Names, name)
		return nil
	}
	for _, p := range res.CommonPrefixes {
		if err := add(p.Prefix); err != nil {
			return S3Page{}, err
		}
	}
	for _, c := range res.Contents {
		if err := add(c.Key); err != nil {
			return S3Page{}, err
		}
	}
	if res.IsTruncated {
		if res.NextToken == "" {
			return S3Page{}, fmt.Errorf("read S3 listing: truncated without a continuation token")
		}
		page.NextToken = res.NextToken
	}
	return page, nil
}
