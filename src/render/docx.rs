//! `bao-cao.docx`: the narrative as officers send it upward, in the Nghị định 30/2020 layout.
//!
//! A4 portrait, margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman 14 pt,
//! justified, first line indented 1 cm. The letterhead is a two-column borderless table; the
//! body is the outline's Markdown (headings, paragraphs, bold and italic, lists, tables of
//! figures); the closing is a two-column borderless table of recipients and the signing
//! block. Page numbers are centred in the top margin from page 2. The bytes depend only on the
//! report: the document properties carry the as-of date, the archive fixed times.

use chrono::NaiveDate;
use docx_rs::{
    AlignmentType, BreakType, Docx, Header, LineSpacing, PageMargin, PageNum, Paragraph, Run,
    RunFonts, SpecialIndentType, Table, TableCell, TableRow, WidthType,
};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::form::FONT;
use super::narrative::{recipient_lines, Narrative};

/// A4 in twentieths of a point, and the usable width between the margins.
const A4: (u32, u32) = (11906, 16838);
const MARGIN_TOP: i32 = 1134; // 20 mm
const MARGIN_BOTTOM: i32 = 1134; // 20 mm
const MARGIN_LEFT: i32 = 1701; // 30 mm
const MARGIN_RIGHT: i32 = 851; // 15 mm
const TEXT_WIDTH: usize = 11906 - 1701 - 851;
/// Font sizes in half-points.
const BODY: usize = 28; // 14 pt
const SMALL: usize = 26; // 13 pt
const TABLE: usize = 24; // 12 pt
const NOTE: usize = 22; // 11 pt
const FIRST_LINE: i32 = 567; // 1 cm

fn run(text: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size)
}

fn centred(runs: Vec<Run>) -> Paragraph {
    runs.into_iter()
        .fold(Paragraph::new(), Paragraph::add_run)
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(0).after(0))
}

/// A cell of a borderless layout table.
fn layout_cell(width: usize, paragraphs: Vec<Paragraph>) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(width, WidthType::Dxa)
        .clear_all_border()
}

fn layout_table(cells: Vec<TableCell>, widths: Vec<usize>) -> Table {
    Table::without_borders(vec![TableRow::new(cells).cant_split()])
        .set_grid(widths)
        .width(TEXT_WIDTH, WidthType::Dxa)
}

fn letterhead(n: &Narrative) -> Table {
    let h = &n.letterhead;
    let (left, right) = (3500, TEXT_WIDTH - 3500);
    let agency = centred(vec![run(&h.agency, SMALL).bold()]);
    let number = centred(vec![run(&h.number, SMALL)]);
    let nation = centred(vec![run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", TABLE).bold()]);
    let motto = centred(vec![run("Độc lập - Tự do - Hạnh phúc", BODY)
        .bold()
        .underline("single")]);
    let place = centred(vec![run(&h.place_date, BODY).italic()])
        .line_spacing(LineSpacing::new().before(120).after(0));
    layout_table(
        vec![
            layout_cell(left, vec![agency, number]),
            layout_cell(right, vec![nation, motto, place]),
        ],
        vec![left, right],
    )
}

fn closing(n: &Narrative) -> Table {
    let c = &n.closing;
    let half = TEXT_WIDTH / 2;
    let mut left = vec![Paragraph::new()
        .add_run(run("Nơi nhận:", TABLE).bold().italic())
        .line_spacing(LineSpacing::new().before(240).after(0))];
    left.extend(
        recipient_lines(c)
            .iter()
            .map(|l| Paragraph::new().add_run(run(l, NOTE))),
    );
    let mut right: Vec<Paragraph> = c
        .signing
        .iter()
        .map(|l| centred(vec![run(l, BODY).bold()]))
        .collect();
    if let Some(first) = right.first_mut() {
        *first = first
            .clone()
            .line_spacing(LineSpacing::new().before(240).after(0));
    }
    for _ in 0..4 {
        right.push(centred(vec![run("", BODY)]));
    }
    if let Some(name) = &c.signer {
        right.push(centred(vec![run(name, BODY).bold()]));
    }
    layout_table(
        vec![layout_cell(half, left), layout_cell(half, right)],
        vec![half, half],
    )
}

/// The body's Markdown as docx blocks, in order.
enum Block {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
}

#[derive(Default)]
struct Body {
    blocks: Vec<Block>,
    runs: Vec<Run>,
    bold: bool,
    italic: bool,
    heading: Option<HeadingLevel>,
    /// Ordered lists' next numbers (None: a bulleted list), innermost last.
    lists: Vec<Option<u64>>,
    item_prefix: Option<String>,
    table: Option<(Vec<TableRow>, Vec<TableCell>, bool)>,
    /// The current table's column widths.
    widths: Vec<usize>,
}

/// Column widths of a table of figures: a narrow STT, the name column taking what the
/// figure columns leave.
fn column_widths(n: usize) -> Vec<usize> {
    const STT: usize = 700;
    const FIGURE: usize = 1400;
    if n < 3 {
        return vec![TEXT_WIDTH / n.max(1); n.max(1)];
    }
    let name = TEXT_WIDTH
        .saturating_sub(STT + FIGURE * (n - 2))
        .max(FIGURE);
    let mut w = vec![STT, name];
    w.extend(std::iter::repeat_n(FIGURE, n - 2));
    w
}

impl Body {
    fn text(&mut self, t: &str) {
        let size = if self.table.is_some() { TABLE } else { BODY };
        let mut r = run(t, size);
        if self.bold || self.heading.is_some() {
            r = r.bold();
        }
        if self.italic {
            r = r.italic();
        }
        self.runs.push(r);
    }

    fn take_paragraph(&mut self) -> Paragraph {
        let mut p = Paragraph::new();
        if let Some(prefix) = self.item_prefix.take() {
            p = p.add_run(run(&prefix, BODY));
        }
        std::mem::take(&mut self.runs)
            .into_iter()
            .fold(p, Paragraph::add_run)
    }

    fn end_paragraph(&mut self) {
        let p = self.take_paragraph();
        if let Some((_, cells, _)) = &mut self.table {
            cells.push(TableCell::new().add_paragraph(p));
            return;
        }
        let indent = if self.lists.is_empty() {
            Some(SpecialIndentType::FirstLine(FIRST_LINE))
        } else {
            None
        };
        let left = (!self.lists.is_empty()).then_some(FIRST_LINE);
        self.blocks.push(Block::Paragraph(Box::new(
            p.align(AlignmentType::Both)
                .indent(left, indent, None, None)
                .line_spacing(LineSpacing::new().before(0).after(120).line(288)),
        )));
    }

    fn end_heading(&mut self, level: HeadingLevel) {
        let p = self.take_paragraph().keep_next(true);
        let p = match level {
            HeadingLevel::H1 | HeadingLevel::H2 => p
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().before(120).after(60)),
            _ => p
                .align(AlignmentType::Both)
                .indent(
                    None,
                    Some(SpecialIndentType::FirstLine(FIRST_LINE)),
                    None,
                    None,
                )
                .line_spacing(LineSpacing::new().before(120).after(60)),
        };
        self.heading = None;
        self.blocks.push(Block::Paragraph(Box::new(p)));
    }

    fn end_cell(&mut self, header: bool) {
        let p = self.take_paragraph();
        let text_cell = self
            .table
            .as_ref()
            .is_some_and(|(_, cells, _)| cells.len() < 2);
        let p = if header {
            p.align(AlignmentType::Center)
        } else if text_cell {
            p.align(AlignmentType::Left)
        } else {
            p.align(AlignmentType::Right)
        };
        if let Some((_, cells, _)) = &mut self.table {
            let width = self.widths.get(cells.len()).copied().unwrap_or(1400);
            cells.push(
                TableCell::new()
                    .add_paragraph(p)
                    .width(width, WidthType::Dxa),
            );
        }
    }
}

fn body(md: &str) -> Vec<Block> {
    let mut b = Body::default();
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match e {
            Event::Start(Tag::Heading { level, .. }) => b.heading = Some(level),
            Event::End(TagEnd::Heading(level)) => b.end_heading(level),
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => b.end_paragraph(),
            Event::Start(Tag::Strong) => b.bold = true,
            Event::End(TagEnd::Strong) => b.bold = false,
            Event::Start(Tag::Emphasis) => b.italic = true,
            Event::End(TagEnd::Emphasis) => b.italic = false,
            Event::Start(Tag::List(first)) => b.lists.push(first),
            Event::End(TagEnd::List(_)) => {
                b.lists.pop();
            }
            Event::Start(Tag::Item) => {
                let prefix = match b.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "– ".to_string(),
                };
                b.item_prefix = Some(prefix);
            }
            Event::End(TagEnd::Item) if !b.runs.is_empty() || b.item_prefix.is_some() => {
                b.end_paragraph()
            }
            Event::Start(Tag::Table(aligns)) => {
                b.widths = column_widths(aligns.len());
                b.table = Some((Vec::new(), Vec::new(), false));
            }
            Event::Start(Tag::TableHead) => {
                if let Some(t) = &mut b.table {
                    t.2 = true;
                }
            }
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                if let Some((rows, cells, head)) = &mut b.table {
                    let mut row = TableRow::new(std::mem::take(cells));
                    if *head {
                        row = row.cant_split();
                    }
                    rows.push(row);
                    *head = false;
                }
            }
            Event::End(TagEnd::TableCell) => {
                let head = b.table.as_ref().is_some_and(|t| t.2);
                if head {
                    b.bold = true;
                }
                b.end_cell(head);
                if head {
                    b.bold = false;
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some((rows, _, _)) = b.table.take() {
                    b.blocks.push(Block::Table(Box::new(
                        Table::new(rows)
                            .set_grid(b.widths.clone())
                            .width(TEXT_WIDTH, WidthType::Dxa),
                    )));
                }
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => b.text(&t),
            Event::SoftBreak => b.text(" "),
            Event::HardBreak => b.runs.push(Run::new().add_break(BreakType::TextWrapping)),
            _ => {}
        }
    }
    if !b.runs.is_empty() {
        b.end_paragraph();
    }
    b.blocks
}

/// `bao-cao.docx` of a narrative, dated `as_of`.
pub fn bao_cao(n: &Narrative, as_of: NaiveDate) -> Result<Vec<u8>, String> {
    let fonts = RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .east_asia(FONT)
        .cs(FONT);
    let date = format!("{as_of}T00:00:00Z");
    let mut doc = Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(PageMargin {
            top: MARGIN_TOP,
            left: MARGIN_LEFT,
            bottom: MARGIN_BOTTOM,
            right: MARGIN_RIGHT,
            header: 567,
            footer: 567,
            gutter: 0,
        })
        .default_fonts(fonts)
        .default_size(BODY)
        .created_at(&date)
        .updated_at(&date)
        .header(
            Header::new().add_paragraph(
                Paragraph::new()
                    .add_page_num(PageNum::new())
                    .align(AlignmentType::Center),
            ),
        )
        .first_header(Header::new())
        .title_pg()
        .add_table(letterhead(n));
    for block in body(&n.body) {
        doc = match block {
            Block::Paragraph(p) => doc.add_paragraph(*p),
            Block::Table(t) => doc.add_table(*t),
        };
    }
    doc = doc.add_table(closing(n));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| format!("không tạo được bao-cao.docx: {e}"))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::narrative::{Closing, Letterhead};

    fn narrative() -> Narrative {
        Narrative {
            md: String::new(),
            html: String::new(),
            letterhead: Letterhead {
                agency: "ỦY BAN NHÂN DÂN TỈNH AN LẠC".into(),
                number: "Số:       /BC-UBND".into(),
                place_date: "An Lạc, ngày 22 tháng 11 năm 2026".into(),
            },
            body: "# BÁO CÁO\n\n## Tình hình tháng 10\n\nĐoạn **đậm** và *nghiêng*.\n\n| STT | Chỉ tiêu | Số |\n|---|---|---|\n| 1 | Thu ngân sách | 1.234,5 |\n".into(),
            closing: Closing {
                recipients: vec!["Văn phòng Chính phủ".into()],
                signing: vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()],
                signer: Some("Nguyễn Văn A".into()),
            },
            title: "Báo cáo".into(),
        }
    }

    fn document_xml(bytes: &[u8]) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut s)
            .unwrap();
        s
    }

    #[test]
    fn the_same_narrative_gives_the_same_bytes() {
        let a = bao_cao(&narrative(), "2026-11-22".parse().unwrap()).unwrap();
        let b = bao_cao(&narrative(), "2026-11-22".parse().unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn letterhead_body_and_signing_block_are_in_the_document() {
        let xml = document_xml(&bao_cao(&narrative(), "2026-11-22".parse().unwrap()).unwrap());
        for text in [
            "ỦY BAN NHÂN DÂN TỈNH AN LẠC",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "An Lạc, ngày 22 tháng 11 năm 2026",
            "BÁO CÁO",
            "Thu ngân sách",
            "1.234,5",
            "Nơi nhận:",
            "- Lưu: VT.",
            "TM. ỦY BAN NHÂN DÂN",
            "Nguyễn Văn A",
        ] {
            assert!(xml.contains(text), "{text} missing");
        }
        // A4 portrait, margins 20/15/20/30 mm; page numbers from page 2.
        assert!(
            xml.contains(r#"w:w="11906""#) && xml.contains(r#"w:h="16838""#),
            "{xml}"
        );
        assert!(xml.contains(r#"w:left="1701""#) && xml.contains(r#"w:right="851""#));
        assert!(xml.contains("<w:titlePg"), "first page without header");
    }
}
