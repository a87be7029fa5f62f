/**
 * Node tree of the wikitext parser (shared/featurize/wikitext/parser.ts). Shapes follow mwparserfromhell 0.6.4's
 * node classes as dumped in the parser parity fixtures (test/data/parser/trees.jsonl.gz): nested
 * wikicode is a `Wikicode` (an ordered list of nodes); `str` of a node is its exact source text, and
 * concatenating the `str` of a wikicode's nodes gives that wikicode's source back.
 */
export type Wikicode = Node[];

export interface TextNode {
  type: "Text";
  str: string;
}
export interface TemplateParam {
  name: Wikicode;
  value: Wikicode;
  showkey: boolean;
}
export interface TemplateNode {
  type: "Template";
  str: string;
  name: Wikicode;
  params: TemplateParam[];
}
export interface ArgumentNode {
  type: "Argument";
  str: string;
  name: Wikicode;
  default: Wikicode | null;
}
export interface WikilinkNode {
  type: "Wikilink";
  str: string;
  title: Wikicode;
  text: Wikicode | null;
}
export interface ExternalLinkNode {
  type: "ExternalLink";
  str: string;
  url: Wikicode;
  title: Wikicode | null;
  brackets: boolean;
}
export interface HeadingNode {
  type: "Heading";
  str: string;
  level: number;
  title: Wikicode;
}
export interface CommentNode {
  type: "Comment";
  str: string;
  contents: string;
}
export interface HTMLEntityNode {
  type: "HTMLEntity";
  str: string;
  value: string;
  named: boolean;
  hexadecimal: boolean;
}
export interface TagAttribute {
  name: Wikicode;
  value: Wikicode | null;
  quotes: string | null;
}
export interface TagNode {
  type: "Tag";
  str: string;
  tag: Wikicode;
  contents: Wikicode | null;
  attributes: TagAttribute[];
  wiki_markup: string | null;
  self_closing: boolean;
  implicit: boolean;
  invalid: boolean;
  closing_tag: Wikicode | null;
}

export type Node =
  | TextNode
  | TemplateNode
  | ArgumentNode
  | WikilinkNode
  | ExternalLinkNode
  | HeadingNode
  | CommentNode
  | HTMLEntityNode
  | TagNode;
