package releases

import (
	"errors"
	"strings"
	"testing"
)

func TestParseS3Listing(t *testing.T) {
	t.Parallel()
	xml := `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>fleet</Name><Prefix>python/</Prefix>
<IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>
<Contents><Key>python/index.html</Key></Contents><Contents><Key>python/deep/er/x</Key></Contents>
<CommonPrefixes><Prefix>python/3.13.5/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>other/3.1.0/</Prefix></CommonPrefixes>
</ListBucketResult>`
	p, err := ParseS3Listing(strings.NewReader(xml), "python/")
	if err != nil || strings.Join(p.Names, ",") != "3.13.5/,index.html" || p.NextToken != "tok" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := ParseS3Listing(strings.NewReader(`<ListAllMyBucketsResult/>`), ""); err == nil {
		t.Error("another document was read as a listing")
	}
	if _, err := ParseS3Listing(strings.NewReader(`<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>`), ""); err == nil {
		t.Error("a truncated listing without a token was accepted")
	}
	var b strings.Builder
	b.WriteString("<ListBucketResult>")
	for range MaxListingNames + 1 {
		b.WriteString("<Contents><Key>k</Key></Contents>")
	}
	b.WriteString("</ListBucketResult>")
	if _, err := ParseS3Listing(strings.NewReader(b.String()), ""); !errors.Is(err, ErrListingTooLarge) {
		t.Errorf("a listing over the cap: %v", err)
	}
}
