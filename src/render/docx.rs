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
    AlignmentType, BreakType, Docx, Header, HeaderReference, HeightRule, LineSpacing, PageMargin,
    PageNum, PageOrientationType, PageSize, Paragraph, Run, RunFonts, SectionProperty,
    SpecialIndentType, Table, TableCell, TableRow, VMergeType, WidthType,
};
use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::form::FONT;
use super::narrative::{recipient_lines, FormTable, Narrative, FORM_TABLE_MARK};

/// A4 in twentieths of a point, and the usable width between the margins.
const A4: (u32, u32) = (11906, 16838);
const MARGIN_TOP: i32 = 1134; // 20 mm
const MARGIN_BOTTOM: i32 = 1134; // 20 mm
const MARGIN_LEFT: i32 = 1701; // 30 mm
const MARGIN_RIGHT: i32 = 851; // 15 mm
const TEXT_WIDTH: usize = 11906 - 1701 - 851;
/// The usable width of an A4 landscape page (same margins, the binding margin on the left).
const LANDSCAPE_WIDTH: usize = 16838 - 1701 - 851;
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

/// The issuing agency's name in lines as a letterhead sets it: a people's committee or council
/// on the first, its locality on the second.
pub fn agency_lines(agency: &str) -> Vec<String> {
    for body in ["ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN"] {
        if let Some(place) = agency.strip_prefix(body).map(str::trim) {
            if !place.is_empty() {
                return vec![body.to_string(), place.to_string()];
            }
        }
    }
    vec![agency.to_string()]
}

fn letterhead(n: &Narrative) -> Table {
    let h = &n.letterhead;
    let (left, right) = (3500, TEXT_WIDTH - 3500);
    // "ỦY BAN NHÂN DÂN / TỈNH AN LẠC": the body's name on a line of its own.
    let agency = agency_lines(&h.agency)
        .into_iter()
        .map(|line| centred(vec![run(&line, SMALL).bold()]))
        .collect::<Vec<_>>();
    let number = centred(vec![run(&h.number, SMALL)]);
    // A letter's summary (trích yếu) under its number, upright.
    let subject = h
        .subject
        .iter()
        .map(|s| centred(vec![run(s, SMALL)]))
        .collect::<Vec<_>>();
    let nation = centred(vec![run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", TABLE).bold()]);
    let motto = centred(vec![run("Độc lập - Tự do - Hạnh phúc", BODY)
        .bold()
        .underline("single")]);
    let place = centred(vec![run(&h.place_date, BODY).italic()])
        .line_spacing(LineSpacing::new().before(120).after(0));
    layout_table(
        vec![
            layout_cell(
                left,
                agency.into_iter().chain([number]).chain(subject).collect(),
            ),
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
    // Room for the signature, where someone signs.
    if !c.signing.is_empty() {
        for _ in 0..4 {
            right.push(centred(vec![run("", BODY)]));
        }
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
    /// A heading: it goes with what follows (onto a landscape page too).
    Heading(Box<Paragraph>),
    /// A table, and whether it needs an A4 landscape page of its own.
    Table(Box<Table>, bool),
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
    /// The table being read: its cells are laid out when it ends (widths from content).
    table: Option<TableText>,
    /// The text of the current table cell (to measure it).
    text: String,
    /// Column widths (percent of the page's text width) an outline comment gave for the next
    /// table: `<!-- cột: 40, 15, 15, 15, 15 -->`.
    widths: Option<Vec<f64>>,
    /// The next table is the consolidated form (`FORM_TABLE_MARK`): drawn from it instead.
    form_next: bool,
    /// Inside a table drawn from the form: its Markdown events are skipped.
    skipping: bool,
}

/// A Markdown table as read: alignments and cells with their runs and text.
#[derive(Default)]
struct TableText {
    aligns: Vec<Alignment>,
    /// (header row?, cells)
    rows: Vec<(bool, Vec<CellText>)>,
    cells: Vec<CellText>,
    head: bool,
}

struct CellText {
    runs: Vec<Run>,
    text: String,
}

/// Twentieths of a point of `text` set at `size` half-points: a Times New Roman estimate by
/// kind of character (capitals and m, w wide; i, l, punctuation narrow), a little generous so
/// that a column sized by it never breaks the word it was sized for.
fn text_width(text: &str, size: usize, bold: bool) -> usize {
    let em = size as f64 * 10.0;
    let units: f64 = text
        .chars()
        .map(|c| match c {
            'm' | 'w' | 'M' | 'W' => 0.80,
            c if c.is_uppercase() => 0.70,
            'i' | 'l' | 'j' | 't' | 'f' | 'r' | 'I' => 0.32,
            '.' | ',' | ':' | ';' | '!' | '\'' | '|' | ' ' => 0.28,
            '(' | ')' | '-' | '–' => 0.36,
            _ => 0.52,
        })
        .sum();
    // 6% to spare: a word sized by this estimate is never broken by the real font.
    let factor = if bold { 1.14 } else { 1.06 };
    (units * em * factor).ceil() as usize
}

/// The narrowest width at which `text` wraps into at most two lines between words: the
/// longer of the two parts at the best place to break.
fn two_lines(text: &str, size: usize) -> usize {
    let words: Vec<&str> = text.split_whitespace().collect();
    (0..=words.len())
        .map(|k| {
            let first = text_width(&words[..k].join(" "), size, false);
            let second = text_width(&words[k..].join(" "), size, false);
            first.max(second)
        })
        .min()
        .unwrap_or(0)
}

/// A cell's inner padding (108 twips a side) and a margin for the rendering's rounding.
const CELL_PADDING: usize = 2 * 108 + 80;

/// The smallest font a table of figures is set in (10 pt), before it overflows the page.
const SMALLEST: usize = 20;

/// Whether a cell's text is a figure (Vietnamese or English number, maybe with %).
fn is_figure(text: &str) -> bool {
    let t = text.trim().trim_matches('*').trim_end_matches('%').trim();
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '–' | '+'))
        && t.chars().any(|c| c.is_ascii_digit())
}

/// Whether a row is a total row ("Tổng số", "Tổng cộng", "Cộng"; not "Tổng số hộ dân cư"):
/// printed bold.
fn is_total_row(cells: &[CellText]) -> bool {
    cells
        .iter()
        .map(|c| c.text.trim().trim_matches('*').trim())
        .find(|t| !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .is_some_and(crate::catalog::is_total_label)
}

/// A table's layout: each column's width (twips), whether it holds figures, the table's font
/// size and whether it needs a landscape page.
struct Layout {
    widths: Vec<usize>,
    figures: Vec<bool>,
    size: usize,
    landscape: bool,
}

impl TableText {
    /// Column `c`'s cells: (in the header?, cell).
    fn column(&self, c: usize) -> impl Iterator<Item = (bool, &CellText)> + '_ {
        self.rows
            .iter()
            .filter_map(move |(head, cells)| cells.get(c).map(|x| (*head, x)))
    }

    /// Whether each column holds figures: its alignment says so (`---:`), or, without one,
    /// every cell below the header is a figure or empty.
    fn figure_columns(&self) -> Vec<bool> {
        (0..self.aligns.len())
            .map(|c| match self.aligns[c] {
                Alignment::Right => true,
                Alignment::Left | Alignment::Center => false,
                Alignment::None => {
                    let mut body = self.column(c).filter(|(h, _)| !h).peekable();
                    body.peek().is_some()
                        && body.all(|(_, x)| x.text.trim().is_empty() || is_figure(&x.text))
                }
            })
            .collect()
    }

    /// Each column's narrowest width (its longest word), the width it wants (a figure whole,
    /// a label in at most two lines, a header word by word) and its ideal (every cell on one
    /// line), at `size`.
    fn measure(&self, size: usize, figures: &[bool]) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        let n = self.aligns.len();
        let mut min = vec![0; n];
        let mut want = vec![0; n];
        let mut ideal = vec![0; n];
        for c in 0..n {
            for (head, cell) in self.column(c) {
                let longest_word = cell
                    .text
                    .split_whitespace()
                    .map(|w| text_width(w, size, head))
                    .max()
                    .unwrap_or(0);
                let whole = text_width(cell.text.trim(), size, head);
                min[c] = min[c].max(longest_word + CELL_PADDING);
                let wanted = if head {
                    longest_word
                } else if figures[c] {
                    whole
                } else {
                    two_lines(cell.text.trim(), size)
                };
                want[c] = want[c].max(wanted + CELL_PADDING);
                // A header wraps between its words: only the body asks for one line.
                if !head {
                    ideal[c] = ideal[c].max(whole + CELL_PADDING);
                }
            }
            ideal[c] = ideal[c].max(want[c]);
        }
        (min, want, ideal)
    }

    /// The layout at `size` on a page `page` twips wide, if the narrowest one fits: label
    /// columns give way first (down to their longest word), and take what is left over.
    fn fit(&self, size: usize, page: usize, landscape: bool) -> Option<Layout> {
        let figures = self.figure_columns();
        let (min, want, ideal) = self.measure(size, &figures);
        if min.iter().sum::<usize>() > page {
            return None;
        }
        let mut widths = want;
        let total: usize = widths.iter().sum();
        let grow = self.growing(&figures);
        if total > page {
            // Headers wrap first (down to their longest word), then the labels give way
            // together, each in proportion to what it can give.
            shrink(&mut widths, &min, &grow, total - page);
        } else if let Some(&first) = grow.first() {
            self.spread(&mut widths, &ideal, &grow, first, size, page);
        }
        Some(Layout {
            widths,
            figures,
            size,
            landscape,
        })
    }

    /// The columns that take what is left over: the labels (a column of short codes, STT, I,
    /// II, is not one), or every column where there is none.
    fn growing(&self, figures: &[bool]) -> Vec<usize> {
        let n = figures.len();
        // Labels take what is left; a column of short codes (STT, I, II) does not.
        let short = |c: usize| {
            self.column(c)
                .filter(|(h, _)| !h)
                .all(|(_, x)| x.text.trim().chars().count() <= 4)
        };
        let labels: Vec<usize> = (0..n).filter(|c| !figures[*c] && !short(*c)).collect();
        if labels.is_empty() {
            (0..n).collect()
        } else {
            labels
        }
    }

    /// Widens `widths` (which fit on the `page`) towards every cell on one line, then towards
    /// headers on one line; the rest goes to the `grow` columns, the remainder to `first`.
    fn spread(
        &self,
        widths: &mut [usize],
        ideal: &[usize],
        grow: &[usize],
        first: usize,
        size: usize,
        page: usize,
    ) {
        let n = widths.len();
        let total: usize = widths.iter().sum();
        // Towards every cell on one line (headers first, as far as the page allows), then
        // the rest to the labels.
        let short: usize = (0..n).map(|c| ideal[c] - widths[c]).sum();
        let spare = page - total;
        if short > 0 {
            let share = (spare as f64 / short as f64).min(1.0);
            for c in 0..n {
                widths[c] += ((ideal[c] - widths[c]) as f64 * share) as usize;
            }
        }
        // Then towards headers on one line, as far as the page allows.
        let head_ideal: Vec<usize> = (0..n)
            .map(|c| {
                self.column(c)
                    .filter(|(h, _)| *h)
                    .map(|(_, x)| text_width(x.text.trim(), size, true) + CELL_PADDING)
                    .max()
                    .unwrap_or(0)
                    .max(widths[c])
            })
            .collect();
        let spare = page - widths.iter().sum::<usize>();
        let short: usize = (0..n).map(|c| head_ideal[c] - widths[c]).sum();
        if short > 0 {
            let share = (spare as f64 / short as f64).min(1.0);
            for c in 0..n {
                widths[c] += ((head_ideal[c] - widths[c]) as f64 * share) as usize;
            }
        }
        let total: usize = widths.iter().sum();
        let spare = page - total;
        let each = spare / grow.len();
        for c in grow {
            widths[*c] += each;
        }
        widths[first] += spare - each * grow.len();
    }

    /// Column widths from the content (`fit`): A4 portrait if the narrowest layout fits, at
    /// 12 pt or else 11 pt, else a landscape page, in a smaller font if it must. (A table of
    /// ten columns of figures fits a portrait page at 11 pt: on a landscape page of its own it
    /// left the text before it on a page mostly empty and the signature alone on the next.) `given` widths (percent of the page's
    /// text width; over 100 in all: a landscape page) are used as they are.
    fn lay_out(&self, given: Option<&[f64]>) -> Layout {
        if let Some(pct) = given.filter(|g| g.len() == self.aligns.len()) {
            let sum: f64 = pct.iter().sum();
            let landscape = sum > 100.5;
            let page = if landscape {
                LANDSCAPE_WIDTH
            } else {
                TEXT_WIDTH
            } as f64;
            let scale = if landscape { 100.0 / sum } else { 1.0 };
            return Layout {
                widths: pct
                    .iter()
                    .map(|p| (p * scale / 100.0 * page) as usize)
                    .collect(),
                figures: self.figure_columns(),
                size: TABLE,
                landscape,
            };
        }
        self.fit(TABLE, TEXT_WIDTH, false)
            .or_else(|| self.fit(NOTE, TEXT_WIDTH, false))
            .or_else(|| self.fit(TABLE, LANDSCAPE_WIDTH, true))
            .or_else(|| self.fit(NOTE, LANDSCAPE_WIDTH, true))
            .or_else(|| self.fit(SMALLEST, LANDSCAPE_WIDTH, true))
            .unwrap_or_else(|| {
                let figures = self.figure_columns();
                let (min, _, _) = self.measure(SMALLEST, &figures);
                Layout {
                    widths: min,
                    figures,
                    size: SMALLEST,
                    landscape: true,
                }
            })
    }

    /// The docx table, and whether it needs a landscape page.
    fn build(self, given: Option<&[f64]>) -> (Table, bool) {
        let layout = self.lay_out(given);
        let mut rows = Vec::new();
        for (head, cells) in self.rows {
            let total = !head && is_total_row(&cells);
            let mut out = Vec::new();
            for (c, cell) in cells.into_iter().enumerate() {
                let align = match (head, self.aligns.get(c)) {
                    (true, _) => AlignmentType::Center,
                    (_, Some(Alignment::Center)) => AlignmentType::Center,
                    _ if layout.figures.get(c) == Some(&true) => AlignmentType::Right,
                    _ => AlignmentType::Left,
                };
                let p = cell
                    .runs
                    .into_iter()
                    .map(|r| {
                        let r = r.size(layout.size);
                        if head || total {
                            r.bold()
                        } else {
                            r
                        }
                    })
                    .fold(Paragraph::new(), Paragraph::add_run)
                    .align(align)
                    .line_spacing(LineSpacing::new().before(0).after(0));
                let width = layout.widths.get(c).copied().unwrap_or(1400);
                out.push(
                    TableCell::new()
                        .add_paragraph(p)
                        .width(width, WidthType::Dxa),
                );
            }
            let mut row = TableRow::new(out);
            if head {
                row = row
                    .cant_split()
                    .row_height(HEADER_ROW_HEIGHT)
                    .height_rule(HeightRule::AtLeast);
            }
            rows.push(row);
        }
        let width: usize = layout.widths.iter().sum();
        (
            Table::new(rows)
                .set_grid(layout.widths)
                .width(width, WidthType::Dxa),
            layout.landscape,
        )
    }
}

/// Narrows `widths` by `over`: the columns that do not grow give way first (down to their
/// `min`), then the `grow` columns together, each in proportion to what it can give.
fn shrink(widths: &mut [usize], min: &[usize], grow: &[usize], mut over: usize) {
    let n = widths.len();
    for c in (0..n).filter(|c| !grow.contains(c)) {
        let give = (widths[c] - min[c]).min(over);
        widths[c] -= give;
        over -= give;
    }
    let slack: usize = grow.iter().map(|&c| widths[c] - min[c]).sum();
    if over > 0 && slack > 0 {
        let share = (over as f64 / slack as f64).min(1.0);
        for &c in grow {
            let give = ((widths[c] - min[c]) as f64 * share).ceil() as usize;
            widths[c] -= give.min(widths[c] - min[c]);
        }
    }
}

/// A paragraph of the form table: one run, bold or italic, no spacing.
fn form_para(t: &str, size: usize, bold: bool, italic: bool, align: AlignmentType) -> Paragraph {
    let mut r = run(t, size);
    if bold {
        r = r.bold();
    }
    if italic {
        r = r.italic();
    }
    Paragraph::new()
        .add_run(r)
        .align(align)
        .line_spacing(LineSpacing::new().before(0).after(0))
}

/// The consolidated matrix form as it is printed: header groups merged across the columns
/// they head and down the rows they span, the numbering row, the rows; sized as a Markdown
/// table of the same texts would be (`TableText::lay_out`).
fn form_table(f: &FormTable) -> (Table, bool) {
    let layout = form_sizing(f).lay_out(None);
    let mut rows = form_header_rows(f, &layout);
    // A row: bold (a heading, a total) or with its label italic (a "trong đó" row).
    let row_of = |texts: Vec<&str>, bold: bool, italic: bool, numbering: bool| {
        let cells = texts
            .into_iter()
            .enumerate()
            .map(|(c, t)| {
                let align = match c {
                    _ if numbering => AlignmentType::Center,
                    0 => AlignmentType::Center,
                    1 => AlignmentType::Left,
                    _ => AlignmentType::Right,
                };
                TableCell::new()
                    .add_paragraph(form_para(t, layout.size, bold, italic && c == 1, align))
                    .width(layout.widths[c], WidthType::Dxa)
            })
            .collect();
        TableRow::new(cells)
    };
    rows.push(row_of(
        f.numbering.iter().map(String::as_str).collect(),
        false,
        false,
        true,
    ));
    for row in &f.rows {
        let mut texts = vec![row.stt.as_str(), row.label.as_str()];
        texts.extend(row.values.iter().map(String::as_str));
        rows.push(row_of(texts, row.strong, row.sub, false));
    }
    let total: usize = layout.widths.iter().sum();
    (
        Table::new(rows)
            .set_grid(layout.widths.clone())
            .width(total, WidthType::Dxa),
        layout.landscape,
    )
}

/// The texts the form table is sized by: each column's own header label (a group spanning
/// several columns does not widen one of them), the numbering row, the body.
fn form_sizing(f: &FormTable) -> TableText {
    let columns = f.numbering.len();
    let text = |t: &str| CellText {
        runs: Vec::new(),
        text: t.to_string(),
    };
    let mut sizing = TableText {
        aligns: (0..columns)
            .map(|c| match c {
                0 => Alignment::Center,
                1 => Alignment::Left,
                _ => Alignment::Right,
            })
            .collect(),
        ..TableText::default()
    };
    let labels: Vec<CellText> = (0..columns)
        .map(|c| {
            let own = f
                .header
                .iter()
                .rev()
                .find(|h| h.col == c && h.last_col == c)
                .map_or("", |h| h.text.as_str());
            text(own)
        })
        .collect();
    sizing.rows.push((true, labels));
    sizing
        .rows
        .push((false, f.numbering.iter().map(|n| text(n)).collect()));
    for row in &f.rows {
        let mut cells = vec![text(&row.stt), text(&row.label)];
        cells.extend(row.values.iter().map(|v| text(v)));
        sizing.rows.push((false, cells));
    }
    sizing
}

/// The form table's header block: groups merged across columns and down rows.
fn form_header_rows(f: &FormTable, layout: &Layout) -> Vec<TableRow> {
    let columns = f.numbering.len();
    let width = |from: usize, to: usize| layout.widths[from..=to].iter().sum::<usize>();
    let mut rows = Vec::new();
    for r in 0..f.depth {
        let mut cells = Vec::new();
        let mut c = 0;
        while c < columns {
            let Some(h) = f
                .header
                .iter()
                .find(|h| h.col == c && h.row <= r && r <= h.last_row)
            else {
                c += 1;
                continue;
            };
            let shown = if h.row == r { h.text.as_str() } else { "" };
            let mut cell = TableCell::new()
                .add_paragraph(form_para(
                    shown,
                    layout.size,
                    true,
                    false,
                    AlignmentType::Center,
                ))
                .width(width(h.col, h.last_col), WidthType::Dxa);
            if h.last_col > h.col {
                cell = cell.grid_span(h.last_col - h.col + 1);
            }
            if h.last_row > h.row {
                cell = cell.vertical_merge(if h.row == r {
                    VMergeType::Restart
                } else {
                    VMergeType::Continue
                });
            }
            cells.push(cell);
            c = h.last_col + 1;
        }
        rows.push(
            TableRow::new(cells)
                .cant_split()
                .row_height(HEADER_ROW_HEIGHT)
                .height_rule(HeightRule::AtLeast),
        );
    }
    rows
}

/// A header row's height rule, a mark no other row has: `repeat_header_rows` makes such rows
/// repeat at the top of each page of their table (docx-rs writes no `tblHeader`).
const HEADER_ROW_HEIGHT: f32 = 1.0;
const HEADER_MARK: &str = r#"<w:trHeight w:val="1" w:hRule="atLeast" />"#;

/// The header rows (`HEADER_MARK`) repeated on every page of their table.
fn repeat_header_rows(document: Vec<u8>) -> Vec<u8> {
    match String::from_utf8(document) {
        Ok(xml) => xml
            .replace(HEADER_MARK, &format!("{HEADER_MARK}<w:tblHeader />"))
            .into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// Column widths in percent from an outline comment `<!-- cột: 40, 15, 15, 15, 15 -->` (`%`
/// optional; `cot` without diacritics too), if `html` is one.
fn given_widths(html: &str) -> Option<Vec<f64>> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let (key, list) = inner.split_once(':')?;
    if crate::text::fold(key.trim()) != "cot" {
        return None;
    }
    list.split(',')
        .map(|x| x.trim().trim_end_matches('%').trim().parse::<f64>().ok())
        .collect::<Option<Vec<f64>>>()
        .filter(|v| !v.is_empty() && v.iter().all(|p| *p > 0.0))
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
        if self.table.is_some() {
            self.text.push_str(t);
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
        self.blocks.push(Block::Heading(Box::new(p)));
    }

    /// One Markdown event of the outline (outside a table drawn from the form).
    fn event(&mut self, e: Event<'_>, form: Option<&FormTable>) {
        match e {
            Event::Html(t) if t.trim() == FORM_TABLE_MARK => self.form_next = form.is_some(),
            Event::Start(Tag::Table(_)) if self.form_next => {
                self.form_next = false;
                self.skipping = true;
                let (table, landscape) = form_table(form.expect("checked"));
                self.blocks.push(Block::Table(Box::new(table), landscape));
            }
            Event::Start(Tag::Heading { level, .. }) => self.heading = Some(level),
            Event::End(TagEnd::Heading(level)) => self.end_heading(level),
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => self.end_paragraph(),
            Event::Start(Tag::Strong) => self.bold = true,
            Event::End(TagEnd::Strong) => self.bold = false,
            Event::Start(Tag::Emphasis) => self.italic = true,
            Event::End(TagEnd::Emphasis) => self.italic = false,
            Event::Start(Tag::List(first)) => self.lists.push(first),
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
            }
            Event::Start(Tag::Item) => self.start_item(),
            Event::End(TagEnd::Item) if !self.runs.is_empty() || self.item_prefix.is_some() => {
                self.end_paragraph()
            }
            Event::Start(Tag::Table(aligns)) => {
                self.table = Some(TableText {
                    aligns,
                    ..TableText::default()
                });
            }
            Event::Start(Tag::TableHead) => {
                if let Some(t) = &mut self.table {
                    t.head = true;
                }
            }
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => self.end_row(),
            Event::End(TagEnd::TableCell) => self.end_cell(),
            Event::End(TagEnd::Table) => self.end_table(),
            // An outline's comment giving the next table's column widths.
            Event::Html(t) if given_widths(&t).is_some() => self.widths = given_widths(&t),
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                self.text(&t)
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self
                .runs
                .push(Run::new().add_break(BreakType::TextWrapping)),
            _ => {}
        }
    }

    /// A list item begins: its prefix, the next number of an ordered list or a dash.
    fn start_item(&mut self) {
        let prefix = match self.lists.last_mut() {
            Some(Some(n)) => {
                *n += 1;
                format!("{}. ", *n - 1)
            }
            _ => "– ".to_string(),
        };
        self.item_prefix = Some(prefix);
    }

    /// A table cell read: its runs and text, laid out when the table ends.
    fn end_cell(&mut self) {
        let runs = std::mem::take(&mut self.runs);
        let text = std::mem::take(&mut self.text);
        if let Some(t) = &mut self.table {
            t.cells.push(CellText { runs, text });
        }
    }

    fn end_row(&mut self) {
        if let Some(t) = &mut self.table {
            let cells = std::mem::take(&mut t.cells);
            t.rows.push((t.head, cells));
            t.head = false;
        }
    }

    fn end_table(&mut self) {
        if let Some(t) = self.table.take() {
            let given = self.widths.take();
            let (table, landscape) = t.build(given.as_deref());
            self.blocks.push(Block::Table(Box::new(table), landscape));
        }
    }
}

fn body(md: &str, form: Option<&FormTable>) -> Vec<Block> {
    let mut b = Body::default();
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        if b.skipping {
            if matches!(e, Event::End(TagEnd::Table)) {
                b.skipping = false;
            }
            continue;
        }
        b.event(e, form);
    }
    if !b.runs.is_empty() {
        b.end_paragraph();
    }
    b.blocks
}

/// `bao-cao.docx` of a narrative, dated `as_of`.
pub fn narrative_docx(n: &Narrative, as_of: NaiveDate) -> Result<Vec<u8>, String> {
    let mut sections = Sections::new(new_document(n, as_of));
    for block in body(&n.body, n.form_table.as_ref()) {
        sections = sections.add(block);
    }
    let mut doc = sections.finish();
    doc = doc.add_table(closing(n));
    let mut xml = doc.build();
    xml.document = repeat_header_rows(std::mem::take(&mut xml.document));
    let mut out = std::io::Cursor::new(Vec::new());
    xml.pack(&mut out)
        .map_err(|e| format!("không tạo được bao-cao.docx: {e}"))?;
    Ok(out.into_inner())
}

/// The document before its body: A4, the fonts, the dates, page numbers from page 2, the
/// letterhead.
fn new_document(n: &Narrative, as_of: NaiveDate) -> Docx {
    let fonts = RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .east_asia(FONT)
        .cs(FONT);
    let date = format!("{as_of}T00:00:00Z");
    Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(margins())
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
        .add_table(letterhead(n))
}

/// The body's blocks added to the document in sections: a table too wide for A4 portrait gets
/// a landscape section of its own; the sections before and after it stay portrait, page
/// numbers run on.
struct Sections {
    doc: Docx,
    first_section: bool,
    landscape: bool,
    /// In a landscape section: tables that follow each other share it (no empty page).
    in_landscape: bool,
    /// A heading waits for what follows it: a landscape table takes it along.
    heading: Option<Paragraph>,
}

impl Sections {
    fn new(doc: Docx) -> Sections {
        Sections {
            doc,
            first_section: true,
            landscape: false,
            in_landscape: false,
            heading: None,
        }
    }

    /// Adds one block of the body, ending or beginning a landscape section where it must.
    fn add(mut self, block: Block) -> Sections {
        let mut doc = self.doc;
        let wide = matches!(block, Block::Table(_, true));
        if self.in_landscape && !wide && !matches!(block, Block::Heading(_)) {
            // Back to portrait: the landscape section ends before this block, and a
            // section begins with a paragraph (LibreOffice does not start a page style on a
            // table).
            doc = doc
                .add_paragraph(section_end(true, false))
                .add_paragraph(self.heading.take().unwrap_or_else(empty_line));
            self.in_landscape = false;
        }
        self.doc = match block {
            Block::Heading(p) => {
                let doc = add_after(doc, self.heading.take());
                self.heading = Some(*p);
                doc
            }
            Block::Paragraph(p) => add_after(doc, self.heading.take()).add_paragraph(*p),
            Block::Table(t, false) => add_after(doc, self.heading.take()).add_table(*t),
            Block::Table(t, true) if self.in_landscape => {
                add_after(doc, self.heading.take()).add_table(*t)
            }
            Block::Table(t, true) => {
                let before = section_end(false, self.first_section);
                self.first_section = false;
                self.landscape = true;
                self.in_landscape = true;
                let start = self.heading.take().unwrap_or_else(empty_line);
                doc.add_paragraph(before).add_paragraph(start).add_table(*t)
            }
        };
        self
    }

    /// The document after the body: the last landscape section ended, a waiting heading
    /// added, the last section portrait.
    fn finish(mut self) -> Docx {
        let mut doc = self.doc;
        if self.in_landscape {
            doc = doc
                .add_paragraph(section_end(true, false))
                .add_paragraph(empty_line());
        }
        doc = add_after(doc, self.heading.take());
        if self.landscape {
            // The last section is not the first page's: numbered from its first page; portrait
            // said in so many words (LibreOffice keeps the landscape of the section before).
            let last = &mut doc.document.section_property;
            last.title_pg = false;
            last.first_header_reference = None;
            last.page_size = PageSize::new()
                .size(A4.0, A4.1)
                .orient(PageOrientationType::Portrait);
        }
        doc
    }
}

/// `doc` with a waiting heading added, if there is one.
fn add_after(doc: Docx, heading: Option<Paragraph>) -> Docx {
    match heading {
        Some(h) => doc.add_paragraph(h),
        None => doc,
    }
}

/// An empty line of no height to speak of.
fn empty_line() -> Paragraph {
    Paragraph::new()
        .add_run(run("", NOTE))
        .line_spacing(LineSpacing::new().before(0).after(0))
}

/// The page margins of Nghị định 30/2020 (top and bottom 20 mm, left 30 mm, right 15 mm).
fn margins() -> PageMargin {
    PageMargin {
        top: MARGIN_TOP,
        left: MARGIN_LEFT,
        bottom: MARGIN_BOTTOM,
        right: MARGIN_RIGHT,
        header: 567,
        footer: 567,
        gutter: 0,
    }
}

/// The paragraph that ends a section: it carries the properties of the pages before it (A4
/// portrait or landscape, the page number header; the first section's first page has none).
/// The header parts are the document's (`rIdHeader1`: page number, `rIdHeader2`: empty).
fn section_end(landscape: bool, first: bool) -> Paragraph {
    let size = if landscape {
        PageSize::new()
            .size(A4.1, A4.0)
            .orient(PageOrientationType::Landscape)
    } else {
        PageSize::new()
            .size(A4.0, A4.1)
            .orient(PageOrientationType::Portrait)
    };
    let mut section = SectionProperty::new()
        .page_size(size)
        .page_margin(margins());
    section.header_reference = Some(HeaderReference::new("default", "rIdHeader1"));
    if first {
        section.first_header_reference = Some(HeaderReference::new("first", "rIdHeader2"));
        section = section.title_pg();
    }
    Paragraph::new().section_property(section)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `n` columns of figures after a label column, `rows` rows.
    fn figures_table(n: usize, figure: &str) -> TableText {
        let cell = |t: &str| CellText {
            runs: Vec::new(),
            text: t.to_string(),
        };
        let mut head = vec![cell("Cấp học")];
        head.extend((1..=n).map(|c| cell(&format!("Cột {c}"))));
        let mut table = TableText {
            aligns: vec![Alignment::None; n + 1],
            rows: vec![(true, head)],
            ..TableText::default()
        };
        for _ in 0..5 {
            let mut row = vec![cell("Trung học phổ thông")];
            row.extend((0..n).map(|_| cell(figure)));
            table.rows.push((false, row));
        }
        table
    }

    #[test]
    fn a_table_that_fits_a_portrait_page_at_11_pt_stays_on_it() {
        // Eight columns of "28.548" and a label fit the portrait page at 12 pt.
        let l = figures_table(8, "28.548").lay_out(None);
        assert_eq!((l.landscape, l.size), (false, TABLE));
        // Of "1.285,4" they need 11 pt there: not a landscape page of their own (it left the
        // text before it alone on a page and the signature alone on the next).
        let l = figures_table(8, "1.285,4").lay_out(None);
        assert_eq!((l.landscape, l.size), (false, NOTE));
        assert!(l.widths.iter().sum::<usize>() <= TEXT_WIDTH);
        // Ten do not fit a portrait page at all: landscape, at 12 pt.
        let l = figures_table(10, "28.548").lay_out(None);
        assert_eq!((l.landscape, l.size), (true, TABLE));
    }
    use crate::render::narrative::{Closing, Letterhead};

    fn narrative() -> Narrative {
        Narrative {
            md: String::new(),
            html: String::new(),
            letterhead: Letterhead {
                agency: "ỦY BAN NHÂN DÂN TỈNH AN LẠC".into(),
                number: "Số:       /BC-UBND".into(),
                place_date: "An Lạc, ngày 22 tháng 11 năm 2026".into(),
                subject: None,
            },
            body: "# BÁO CÁO\n\n## Tình hình tháng 10\n\nĐoạn **đậm** và *nghiêng*.\n\n| STT | Chỉ tiêu | Số |\n|---|---|---|\n| 1 | Thu ngân sách | 1.234,5 |\n".into(),
            closing: Closing {
                recipients: vec!["Văn phòng Chính phủ".into()],
                signing: vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()],
                signer: Some("Nguyễn Văn A".into()),
            },
            title: "Báo cáo".into(),
            form_table: None,
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
    fn a_committee_is_named_on_one_line_and_its_place_on_the_next() {
        assert_eq!(
            agency_lines("ỦY BAN NHÂN DÂN TỈNH AN LẠC"),
            ["ỦY BAN NHÂN DÂN", "TỈNH AN LẠC"]
        );
        assert_eq!(agency_lines("SỞ NỘI VỤ"), ["SỞ NỘI VỤ"]);
    }

    #[test]
    fn the_same_narrative_gives_the_same_bytes() {
        let a = narrative_docx(&narrative(), "2026-11-22".parse().unwrap()).unwrap();
        let b = narrative_docx(&narrative(), "2026-11-22".parse().unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn letterhead_body_and_signing_block_are_in_the_document() {
        let xml =
            document_xml(&narrative_docx(&narrative(), "2026-11-22".parse().unwrap()).unwrap());
        for text in [
            "ỦY BAN NHÂN DÂN",
            "TỈNH AN LẠC",
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
