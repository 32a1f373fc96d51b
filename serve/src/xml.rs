//! Writing EC2's XML responses: elements in document order, text escaped, the response
//! element in EC2's 2016-11-15 namespace with its `requestId` first.

/// The namespace of every EC2 2016-11-15 response.
pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML document being written.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
}

impl Xml {
    /// The response document of `action` (`<ActionResponse xmlns=…><requestId>…`); the
    /// caller adds the result's elements and calls [`Xml::finish`].
    pub fn response(action: &str, request_id: &str) -> Xml {
        let mut xml = Xml {
            out: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{NAMESPACE}\">"
            ),
        };
        xml.text("requestId", request_id);
        xml
    }

    /// `<name>text</name>`.
    pub fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>` with `body`'s elements inside, then `</name>`.
    pub fn element(&mut self, name: &str, body: impl FnOnce(&mut Xml)) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        body(self);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// A list as EC2 writes one: `<name>` with one `<item>` per element of `items`.
    pub fn list<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut item: impl FnMut(&mut Xml, T),
    ) -> &mut Self {
        self.element(name, |x| {
            for i in items {
                x.element("item", |x| item(x, i));
            }
        })
    }

    /// Escaped text inside the current element (a list item that is a plain string).
    pub fn out_text(&mut self, text: &str) -> &mut Self {
        self.out.push_str(&escape(text));
        self
    }

    /// Closes the response element of `action` and returns the document.
    pub fn finish(mut self, action: &str) -> String {
        self.out.push_str("</");
        self.out.push_str(action);
        self.out.push_str("Response>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_has_the_namespace_and_request_id_first() {
        let mut xml = Xml::response("CreateTags", "r-1");
        xml.text("return", "true");
        assert_eq!(
            xml.finish("CreateTags"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateTagsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-1</requestId><return>true</return></CreateTagsResponse>"
        );
    }

    #[test]
    fn lists_are_items_and_text_is_escaped() {
        let mut xml = Xml::default();
        xml.list("tagSet", [("a&b", "<v>")], |x, (k, v)| {
            x.text("key", k).text("value", v);
        });
        assert_eq!(
            xml.out,
            "<tagSet><item><key>a&amp;b</key><value>&lt;v&gt;</value></item></tagSet>"
        );
    }
}
