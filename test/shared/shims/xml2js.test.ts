import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Parser, parseString } from '../../../shared/shims/xml2js.js';

const require = createRequire(import.meta.url);
type Xml2js = { parseString: typeof parseString; Parser: typeof Parser };
// The versions the SDKs depend on: @alicloud/mns → 0.4.23, @alicloud/tea-xml → 0.6.2.
const real04 = require('xml2js') as Xml2js;
const real06 = require('../../../node_modules/@alicloud/tea-xml/node_modules/xml2js') as Xml2js;

const NS = 'xmlns="http://mns.aliyuncs.com/doc/v1/"';
const CORPUS: Record<string, string> = {
  sendMessage: `<?xml version="1.0" encoding="UTF-8"?>\n<Message ${NS}>\n  <MessageId>5F29...</MessageId>\n  <MessageBodyMD5>C5DD56A39F5F7BB8B3337C6D11B6D8C7</MessageBodyMD5>\n</Message>`,
  receive: `<?xml version="1.0" encoding="UTF-8"?><Message ${NS}><MessageId>M1</MessageId><ReceiptHandle>1-ODU+/==</ReceiptHandle><MessageBodyMD5>X</MessageBodyMD5><MessageBody>{&quot;a&quot;:&lt;1&gt; &amp; 张三 😀}</MessageBody><EnqueueTime>1733300000000</EnqueueTime><NextVisibleTime>1733300030000</NextVisibleTime><FirstDequeueTime>1733300000000</FirstDequeueTime><DequeueCount>1</DequeueCount><Priority>8</Priority></Message>`,
  batchOne: `<Messages ${NS}><Message><MessageId>A</MessageId><MessageBody>eA==</MessageBody></Message></Messages>`,
  batchTwo: `<Messages ${NS}>\n<Message><MessageId>A</MessageId><MessageBody>eA==</MessageBody></Message>\n<Message><MessageId>B</MessageId><MessageBody></MessageBody></Message>\n</Messages>`,
  error: `<?xml version="1.0" encoding="UTF-8"?>\n<Error ${NS}>\n  <Code>MessageNotExist</Code>\n  <Message>Message not exist.</Message>\n  <RequestId>5F2B1E80</RequestId>\n  <HostId>http://1.mns.cn-shanghai.aliyuncs.com</HostId>\n</Error>`,
  popError:
    '<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>R</RequestId><HostId>das.aliyuncs.com</HostId><Code>Throttling.User</Code><Message>Request was denied due to user flow control.</Message><Recommend><![CDATA[https://api.aliyun.com/troubleshoot?q=Throttling.User&p=1]]></Recommend></Error>',
  changeVisibility: `<ChangeVisibility ${NS}><ReceiptHandle>2-x</ReceiptHandle><NextVisibleTime>1</NextVisibleTime></ChangeVisibility>`,
  attributesAndText:
    '<a x="1"><b y="2">text</b><b>two</b><c/><d>  </d><e>mixed<f>1</f>tail</e></a>',
  crlf: '<Message><MessageBody>line1&#13;\nline2</MessageBody></Message>',
};

describe('xml2js stand-in', () => {
  it.each(Object.keys(CORPUS))(
    "parses the %s body exactly as xml2js does, with both SDKs' options",
    (name) => {
      const xml = CORPUS[name] as string;
      const run = (lib: Xml2js, opts?: { explicitArray: false }) => {
        let out: unknown;
        const cb = (err: Error | null, result?: unknown) => {
          if (err) throw err;
          out = result;
        };
        if (opts) new lib.Parser(opts).parseString(xml, cb);
        else lib.parseString(xml, cb);
        return JSON.parse(JSON.stringify(out));
      };
      expect(run({ parseString, Parser })).toEqual(run(real04));
      expect(run({ parseString, Parser })).toEqual(run(real06));
      expect(run({ parseString, Parser }, { explicitArray: false })).toEqual(
        run(real06, { explicitArray: false }),
      );
    },
  );

  it('reports malformed XML through the callback, synchronously, as xml2js does', () => {
    let error: Error | null = null;
    parseString('<Message><MessageBody>a<b & "c"</MessageBody></Message>', (err) => {
      error = err;
    });
    expect(error).toBeInstanceOf(Error);
  });
});
